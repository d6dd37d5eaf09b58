"""Tiny synthetic inputs and helpers for tests (imported by tests only)."""
from .hooks import DumpTrainStateHook
from .registry_utils import temporarily_registered, unique_name
from .synthetic import (SyntheticJaccardMetric, SyntheticVOSDataset,
                        make_synthetic_video)
from .tools import load_tool

__all__ = [
    'DumpTrainStateHook', 'SyntheticJaccardMetric', 'SyntheticVOSDataset',
    'load_tool', 'make_synthetic_video', 'temporarily_registered',
    'unique_name'
]
