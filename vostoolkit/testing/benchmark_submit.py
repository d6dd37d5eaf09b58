"""``tools/test.py CONFIG CKPT --submit`` on tiny toy data of every VOS
benchmark layout, with a randomly initialised small model: the plugins'
benchmark test configs are checked with it (their data, their submission
writer, the validator of the benchmark)."""
import os.path as osp
import zipfile
from typing import Callable, Dict, List, NamedTuple, Sequence

import torch
from mmengine.config import Config

from vostoolkit.datasets.toy import generate_toy_dataset
from vostoolkit.evaluation import (validate_lvos_zip, validate_mose_zip,
                                   validate_sav_zip, validate_vost_zip)
from vostoolkit.registry import MODELS

from .tools import load_tool


def _lvos_frames(names: List[str]) -> bool:
    """The LVOS zip holds the 5-frame grid of the objects' ranges only."""
    return bool(names) and all(int(n[-12:-4]) % 5 == 1 for n in names)


def _sav_frames(names: List[str]) -> bool:
    """The SA-V zip holds ``<video>/<object>/<frame>.png`` on the 6-fps
    frames only."""
    return bool(names) and all(
        n.count('/') == 2 and int(n[-9:-4]) % 4 == 0 for n in names)


class Benchmark(NamedTuple):
    """A benchmark's toy layout and the checks of its submission zip."""
    toy_format: str  # generate_toy_dataset's format
    folder: str  # below the configs' data_root
    validate: Callable[[str, str], List[str]]  # (zip, gt root) -> problems
    names_ok: Callable[[List[str]], bool] = bool  # the zip's member names


# config suffix (``<model config>_<suffix>.py``) -> benchmark
BENCHMARKS: Dict[str, Benchmark] = {
    'mose': Benchmark('mose', 'mose',
                      lambda z, r: validate_mose_zip(z, r, 'valid',
                                                     version=1)),
    'mose-v2': Benchmark('mose', 'mose_v2',
                         lambda z, r: validate_mose_zip(z, r, 'valid',
                                                        version=2)),
    'vost': Benchmark('vost', 'vost',
                      lambda z, r: validate_vost_zip(z, r, 'val')),
    'lvos-v1': Benchmark('lvos', 'lvos_v1', validate_lvos_zip, _lvos_frames),
    'lvos-v2': Benchmark('lvos', 'lvos_v2', validate_lvos_zip, _lvos_frames),
    'sav': Benchmark('sav', 'sav', validate_sav_zip, _sav_frames),
}
# test-only configs keep these keys out (a shorter config to log)
TRAINING_KEYS = ('train_dataloader', 'train_cfg', 'optim_wrapper',
                 'param_scheduler', 'train_pipeline', 'clip_sampler',
                 'val_dataloader', 'val_evaluator', 'val_cfg')


def make_benchmark_data(root: str, seed: int = 5) -> str:
    """Write 2 tiny test videos (4 annotated frames, 32 x 48, at most 2
    objects) of every benchmark layout under ``root/<folder>``."""
    for bench in BENCHMARKS.values():
        folder = osp.join(root, bench.folder)
        if not osp.isdir(folder):
            generate_toy_dataset(folder, bench.toy_format, videos=0,
                                 val_videos=2, frames=4, size=(32, 48),
                                 seed=seed, max_objects=2)
    return root


def submit_and_check(config: str, suffix: str, model: dict,
                     test_pipeline: Sequence[dict], data_root: str,
                     work_dir: str) -> None:
    """Run ``tools/test.py config CKPT --submit`` with ``model`` (randomly
    initialised, seed 0) and ``test_pipeline`` in place of the config's,
    on the toy data under ``data_root`` (:func:`make_benchmark_data`), and
    assert that the benchmark's validator accepts the zip."""
    bench = BENCHMARKS[suffix]
    cfg = Config.fromfile(config)
    cfg.model, cfg.load_from = model, None
    cfg.test_dataloader.dataset.pipeline = list(test_pipeline)
    cfg.test_dataloader.num_workers = 0
    cfg.test_dataloader.persistent_workers = False
    for key in TRAINING_KEYS:
        cfg.pop(key, None)
    merged = osp.join(work_dir, osp.basename(config))
    cfg.dump(merged)
    torch.manual_seed(0)
    ckpt = osp.join(work_dir, 'iter_1.pth')
    torch.save(dict(state_dict=MODELS.build(model).state_dict(),
                    meta=dict(iter=1)), ckpt)
    out_zip = osp.join(work_dir, f'{bench.folder}.zip')
    code = load_tool('tools/test.py').main([
        merged, ckpt, '--submit', out_zip, '--work-dir',
        osp.join(work_dir, 'work'), '--cfg-options', f'data_root={data_root}'])
    assert code == 0, f'tools/test.py exited {code}'
    gt = osp.join(data_root, bench.folder)
    assert bench.validate(out_zip, gt) == []
    with zipfile.ZipFile(out_zip) as zf:
        names = zf.namelist()
    assert bench.names_ok(names), names[:5]
