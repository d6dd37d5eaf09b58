"""Engine pieces: checkpoint I/O under torch >= 2.6, CPU-capable distributed
wrappers, video loops and the multi-optimizer constructor."""
from .checkpoint import (install_checkpoint_io, load_from_local_trusted,
                         save_checkpoint_atomic)
from .distributed import (VOSDistributedDataParallel,
                          VOSSeparateDistributedDataParallel,
                          init_cpu_distributed)
from .hooks import ExportModuleHook, TrainTimeBudgetHook
from .loops import (VideoShardSampler, VideoTestLoop, VideoValLoop,
                    evaluate_gathered)
from .optimizers import MultiOptimWrapperConstructor, resolve_submodule
from .visualization_hook import VideoVisualizationHook

__all__ = [
    'install_checkpoint_io', 'load_from_local_trusted',
    'save_checkpoint_atomic', 'VOSDistributedDataParallel',
    'VOSSeparateDistributedDataParallel', 'init_cpu_distributed',
    'ExportModuleHook', 'TrainTimeBudgetHook',
    'VideoShardSampler', 'VideoTestLoop', 'VideoValLoop', 'evaluate_gathered',
    'MultiOptimWrapperConstructor', 'resolve_submodule',
    'VideoVisualizationHook'
]
