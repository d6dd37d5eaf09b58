"""Import every registered module of the core, so registries are complete.

mmengine imports this module (the registries' ``locations``) the first time a
vostoolkit registry builds or lists something; tools import it explicitly.
"""
import importlib

_SUBPACKAGES = ('vostoolkit.models', 'vostoolkit.datasets',
                'vostoolkit.evaluation', 'vostoolkit.evaluation.metrics',
                'vostoolkit.engine', 'vostoolkit.structures')

for _name in _SUBPACKAGES:
    importlib.import_module(_name)
