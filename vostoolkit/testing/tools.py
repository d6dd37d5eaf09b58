"""Import a script of the repository's ``tools/`` as a module (tests call
its ``main`` or helpers in-process)."""
import importlib.util
import os.path as osp
from types import ModuleType

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def load_tool(rel_path: str) -> ModuleType:
    """Load ``<repo>/<rel_path>`` (e.g. ``'tools/quickstart.py'``) as a
    fresh module named after its path."""
    path = osp.join(REPO_ROOT, *rel_path.split('/'))
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path}: no such tool')
    name = '_tool_' + rel_path.replace('/', '_').rsplit('.', 1)[0]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
