"""Entry points used by ``tools/`` and by users' scripts."""
from .config import (ToolError, default_work_dir, load_config,
                     parse_cfg_options)
from .inference import init_model
from .runner import (apply_test_model, build_runner, check_checkpoint_fits,
                     check_pretrained_files, check_resume_fits,
                     prepare_test_cfg, prepare_train_cfg)
from .video_inference import (VideoFrameReader, build_demo_pipeline,
                              demo_chunk_len, inference_video, model_task,
                              read_first_mask)

__all__ = [
    'ToolError', 'default_work_dir', 'load_config', 'parse_cfg_options',
    'init_model', 'apply_test_model', 'build_runner', 'check_checkpoint_fits',
    'check_pretrained_files', 'check_resume_fits', 'prepare_test_cfg',
    'prepare_train_cfg'
]
__all__ += [
    'VideoFrameReader', 'build_demo_pipeline', 'demo_chunk_len',
    'inference_video', 'model_task', 'read_first_mask'
]
