"""Loading configs for the tools, with one clear line on bad input."""
import copy
import difflib
import inspect
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence

from mmengine.config import Config, DictAction
from mmengine.utils import import_modules_from_strings

from vostoolkit.utils.errors import ToolError


def parse_cfg_options(items: Optional[Sequence[str]]) -> Dict:
    """Parse ``--cfg-options`` items ``key=value`` (mmengine's syntax).

    Values are parsed like mmengine's ``DictAction``: ints, floats, bools,
    ``None``, lists ``a,b`` / ``[a,b]`` and tuples ``(a,b)``.

    Raises:
        ToolError: If an item has no ``=`` or an empty key.
    """
    options: Dict = {}
    for item in items or ():
        key, sep, value = item.partition('=')
        if not sep or not key.strip():
            raise ToolError(f'--cfg-options expects key=value items, got '
                            f'{item!r}')
        try:
            options[key.strip()] = DictAction._parse_iterable(value)
        except (AssertionError, RecursionError, ValueError) as err:
            raise ToolError(f'--cfg-options {item!r}: cannot parse the value '
                            '(ints, floats, strings, None, True / False, '
                            'lists a,b or [a,b] and tuples (a,b); a dict is '
                            'given key by key: k.a=1 k.b=2)') from err
    return options


# top-level keys a config may add through --cfg-options although it does
# not set them: the Runner's arguments and the tools' own keys
TOOL_KEYS = ('test_model', 'submit_evaluator', 'pretrain_stage', 'toy_spec',
             'data_root', 'runner_type', 'classes', 'custom_imports',
             'default_scope')


def known_top_level_keys(cfg: Config) -> List[str]:
    """Top-level keys ``--cfg-options`` may set: the config's own, the
    ``mmengine.runner.Runner`` arguments and :data:`TOOL_KEYS`."""
    from mmengine.runner import Runner
    params = [p for p in inspect.signature(Runner.__init__).parameters
              if p != 'self']
    return sorted(set(cfg.keys()) | set(params) | set(TOOL_KEYS))


def check_option_keys(cfg: Config, options: Dict, path: str) -> None:
    """Refuse overrides whose top-level key is unknown (a misspelling
    would otherwise be merged as a new key that nothing reads).

    The rule: the first component of every key (``train_cfg`` in
    ``train_cfg.max_iters``) must be a key of the config, a Runner argument
    or one of :data:`TOOL_KEYS`. Deeper components are not checked: a
    nested dict may take new keys (``model.test_cfg.foo=1`` for a model
    that accepts ``foo``); a model that does not accept it stops at build
    time with the config named.

    Raises:
        ToolError: naming the key, the config and the closest known key.
    """
    known = known_top_level_keys(cfg)
    for key in options:
        top = key.split('.')[0]
        if top in known:
            continue
        close = difflib.get_close_matches(top, known, n=1, cutoff=0.6)
        hint = f'; did you mean {close[0]}?' if close else ''
        raise ToolError(f'--cfg-options {key}: {top!r} is not a key of '
                        f'{path}{hint}')


def _import_custom(cfg: Config, path: str) -> None:
    custom = cfg.get('custom_imports')
    if not custom:
        return
    try:
        import_modules_from_strings(**custom)
    except (ImportError, TypeError) as err:
        raise ToolError(f'{path}: custom_imports {dict(custom)} failed: '
                        f'{err}') from err


def _rerooted(value, old: str, new: str):
    if isinstance(value, str):
        if value == old:
            return new
        if value.startswith(old.rstrip('/') + '/'):
            return new.rstrip('/') + value[len(old.rstrip('/')):]
        return value
    if isinstance(value, dict):
        return {k: _rerooted(v, old, new) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_rerooted(v, old, new) for v in value)
    return value


def reroot_paths(cfg: Config, old: str, new: str,
                 exclude: Optional[Dict] = None) -> None:
    """Move every path under ``old`` to ``new``, in the whole config.

    Python-style configs resolve ``data_root`` when they are parsed, so
    ``--cfg-options data_root=NEW`` alone would not reach the dataset roots,
    annotation files and evaluators built from it. ``load_config`` calls this
    when ``data_root`` is overridden; keys given explicitly in ``exclude``
    (the other ``--cfg-options``) keep the value the user gave.

    Args:
        cfg (Config): Config to edit in place.
        old (str): The config's original ``data_root``.
        new (str): The new root.
        exclude (dict, optional): Dotted keys left as they are.
    """
    keep = {k: cfg.get(k) for k in (exclude or {}) if '.' not in k}
    for key in list(cfg.keys()):
        if key != 'data_root' and key not in keep:
            cfg[key] = _rerooted(cfg[key], old, new)
    dotted = {k: v for k, v in (exclude or {}).items() if '.' in k}
    if dotted:
        cfg.merge_from_dict(dotted)


def loaders_with_spec(cfg: Config, spec: Optional[Dict]) -> List[str]:
    """Dataloader keys of ``cfg`` whose dataset's ``toy_spec`` equals
    ``spec`` (none when ``spec`` is not a dict)."""
    if not isinstance(spec, dict):
        return []
    keys = []
    for key in cfg.keys():
        loader = cfg.get(key)
        if key.endswith('_dataloader') and isinstance(loader, dict) and \
                isinstance(loader.get('dataset'), dict) and \
                loader['dataset'].get('toy_spec') == spec:
            keys.append(key)
    return keys


def spread_toy_spec(cfg: Config, loaders: Sequence[str],
                    exclude: Optional[Dict] = None) -> None:
    """Give the config's top-level ``toy_spec`` to the datasets of
    ``loaders``.

    Like ``data_root``, a config's ``toy_spec`` is copied into its datasets
    when the file is parsed, so ``--cfg-options toy_spec.videos=N`` alone
    would change nothing that is built. ``load_config`` calls this, when a
    ``toy_spec`` key is overridden, for the loaders that had the config's
    spec (:func:`loaders_with_spec`, before the overrides); dotted keys in
    ``exclude`` (the other ``--cfg-options``) that set a dataloader keep
    the value the user gave.

    Args:
        cfg (Config): Config to edit in place.
        loaders (Sequence[str]): Dataloader keys to update.
        exclude (dict, optional): The overrides.
    """
    for key in loaders:
        cfg[key]['dataset']['toy_spec'] = copy.deepcopy(cfg.toy_spec)
    own = {k: v for k, v in (exclude or {}).items()
           if k.split('.')[0] in loaders}
    if own:
        cfg.merge_from_dict(own)


def load_config(path: str, cfg_options: Optional[Sequence[str]] = None
                ) -> Config:
    """Load a config, merge ``--cfg-options``, import ``custom_imports``.

    Args:
        path (str): A python-style mmengine config file.
        cfg_options (list[str], optional): ``key=value`` overrides.

    Returns:
        Config: The merged config (``default_scope`` defaults to
        ``'vostoolkit'``).

    Raises:
        ToolError: On a missing or unparsable file, bad overrides or a
            failing ``custom_imports``.
    """
    if not osp.isfile(path):
        raise ToolError(f'{path}: config file not found')
    if not path.endswith('.py'):
        raise ToolError(f'{path}: configs are python files (.py)')
    import vostoolkit.all_modules  # noqa: F401  (fill the registries)
    try:
        cfg = Config.fromfile(path)
    except (SyntaxError, NameError, KeyError, ValueError, TypeError,
            FileNotFoundError, ImportError, AttributeError,
            RuntimeError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else ''
        raise ToolError(f'{path}: cannot load config: '
                        f'{type(err).__name__}: {first}') from err
    merge_cfg_options(cfg, cfg_options, path)
    cfg.setdefault('default_scope', 'vostoolkit')
    _import_custom(cfg, path)
    return cfg


def merge_cfg_options(cfg: Config, cfg_options: Optional[Sequence[str]],
                      path: str) -> None:
    """Merge ``key=value`` overrides into a loaded config, in place; a new
    ``data_root`` re-roots every path under the old one (``reroot_paths``)
    and a changed ``toy_spec`` reaches the datasets that had the old one
    (``spread_toy_spec``).

    Raises:
        ToolError: On overrides that do not parse or merge, or whose
            top-level key is unknown (:func:`check_option_keys`), naming
            ``path``, the config file.
    """
    options = parse_cfg_options(cfg_options)
    check_option_keys(cfg, options, path)
    old_root = cfg.get('data_root')
    spec_option = any(k.split('.')[0] == 'toy_spec' for k in options)
    spec_loaders = (loaders_with_spec(cfg, cfg.get('toy_spec'))
                    if spec_option else [])
    if options:
        try:
            cfg.merge_from_dict(options)
        except (KeyError, TypeError, ValueError, IndexError) as err:
            raise ToolError(f'--cfg-options {options}: cannot merge into '
                            f'{path}: {err}') from err
    new_root = options.get('data_root')
    if isinstance(old_root, str) and isinstance(new_root, str):
        reroot_paths(cfg, old_root, new_root, exclude=options)
    if spec_loaders and isinstance(cfg.get('toy_spec'), dict):
        spread_toy_spec(cfg, spec_loaders, exclude=options)
    for key in cfg.keys():
        loader = cfg.get(key)
        # num_workers=0 with persistent_workers=True is refused by PyTorch's
        # DataLoader: a loader without workers has nothing to keep alive
        if key.endswith('_dataloader') and isinstance(loader, dict) and \
                loader.get('num_workers', 1) == 0 and \
                loader.get('persistent_workers'):
            loader['persistent_workers'] = False


def default_work_dir(config_path: str) -> str:
    """``work_dirs/<config stem>`` under the current directory."""
    stem = osp.splitext(osp.basename(config_path))[0]
    return osp.join('work_dirs', stem)


def require_keys(cfg: Config, keys: List[str], path: str, what: str) -> None:
    """Raise ToolError naming the missing top-level ``keys``."""
    missing = [k for k in keys if cfg.get(k) is None]
    if missing:
        raise ToolError(f'{path}: {what} needs {missing} in the config')


def check_file(path: str, what: str) -> str:
    """Return ``path`` expanded, or raise ToolError if it is not a file."""
    full = osp.expanduser(path)
    if not osp.isfile(full):
        raise ToolError(f'{path}: {what} not found')
    return os.fspath(full)
