"""Tiny synthetic inputs and helpers for tests (imported by tests only)."""
from .hooks import DumpTrainStateHook
from .registry_utils import temporarily_registered, unique_name
from .synthetic import (SyntheticJaccardMetric, SyntheticVOSDataset,
                        make_synthetic_video)

__all__ = [
    'DumpTrainStateHook', 'SyntheticJaccardMetric', 'SyntheticVOSDataset',
    'make_synthetic_video', 'temporarily_registered', 'unique_name'
]
