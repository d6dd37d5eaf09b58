"""Tiny synthetic inputs and helpers for tests (imported by tests only)."""
from .benchmark_submit import (BENCHMARKS, make_benchmark_data,
                               submit_and_check)
from .hooks import DumpTrainStateHook
from .mask2former_d2 import (d2_mask2former_shapes, random_arrays,
                             zero_arrays)
from .registry_utils import temporarily_registered, unique_name
from .synthetic import (SyntheticJaccardMetric, SyntheticVOSDataset,
                        make_synthetic_video)
from .tools import load_tool

__all__ = [
    'BENCHMARKS', 'make_benchmark_data', 'submit_and_check',
    'DumpTrainStateHook', 'SyntheticJaccardMetric', 'SyntheticVOSDataset',
    'd2_mask2former_shapes', 'random_arrays', 'zero_arrays',
    'load_tool', 'make_synthetic_video', 'temporarily_registered',
    'unique_name'
]
