"""Write what a config's data pipeline feeds the model, as images or GIFs.

Each clip (or test chunk) of the chosen split is run through the dataset's
pipeline and written with its ground truth overlaid: VOS objects coloured by
object id, VIS instances by instance id (DAVIS palette), void pixels grey,
and each frame titled with its video frame index and applied augmentation.

Usage::

    python tools/misc/browse_dataset.py CONFIG [--split train|val|test]
        [--out DIR] [--num N] [--gif] [--cfg-options k=v ...]
"""
import argparse
import os
import os.path as osp
import sys
from typing import Dict, List, Optional, Sequence

from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.utils import import_modules_from_strings

from vostoolkit.apis import load_config
from vostoolkit.registry import DATASETS
from vostoolkit.utils import DataError
from vostoolkit.utils.cli import run_tool
from vostoolkit.visualization import (  # noqa: F401 (davis_palette: API)
    clip_titles, davis_palette, draw_title, open_video_writer,
    overlay_sample)


def build_dataset(cfg: Config, split: str):
    """Build the ``{split}_dataloader`` dataset of a config."""
    init_default_scope(cfg.get('default_scope', 'vostoolkit'))
    import vostoolkit.all_modules  # noqa: F401
    import vostoolkit.datasets.transforms  # noqa: F401
    if cfg.get('custom_imports'):
        import_modules_from_strings(**cfg['custom_imports'])
    loader = cfg.get(f'{split}_dataloader')
    if not loader or 'dataset' not in loader:
        raise DataError(cfg.filename,
                        f'no {split}_dataloader.dataset in the config')
    return DATASETS.build(loader['dataset'])


def _as_packed(item: Dict) -> Dict:
    if 'inputs' in item and 'data_samples' in item:
        return item
    from vostoolkit.datasets.transforms import PackVideoInputs
    return PackVideoInputs()(item)


def browse(cfg: Config, split: str, out_dir: str, num: int, gif: bool,
           alpha: float = 0.5) -> List[str]:
    """Write the first ``num`` items of a split; return the paths (one
    GIF or PNG folder per item)."""
    dataset = build_dataset(cfg, split)
    os.makedirs(out_dir, exist_ok=True)
    written = []
    for index in range(min(num, len(dataset))):
        item = _as_packed(dataset[index])
        sample = item['data_samples']
        frames = overlay_sample(item['inputs'], sample, alpha)
        meta = sample.metainfo
        name = str(meta.get('video_name', 'video')).replace(os.sep, '_')
        stem = osp.join(out_dir, f'{index:04d}_{name}')
        # a GIF at 5 frames a second, else a folder of PNGs
        with open_video_writer(stem + ('.gif' if gif else ''), 5) as writer:
            for frame, title in zip(frames, clip_titles(meta, len(frames))):
                writer.write(draw_title(frame, title))
        written.append(writer.path)
        print(f'[{index + 1}/{min(num, len(dataset))}] {stem}'
              f"{'.gif' if gif else '/'} ({len(frames)} frames)")
    return written


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Write clips of a dataset with their masks overlaid, '
        'as the pipeline of a config produces them.')
    parser.add_argument('config', help='config file')
    parser.add_argument('--split', default='train',
                        choices=['train', 'val', 'test'])
    parser.add_argument('--out', default='work_dirs/browse_dataset',
                        help='output folder')
    parser.add_argument('--num', type=int, default=5,
                        help='number of clips to write')
    parser.add_argument('--gif', action='store_true',
                        help='one GIF per clip instead of PNG frames')
    parser.add_argument('--alpha', type=float, default=0.5,
                        help='mask opacity')
    parser.add_argument('--cfg-options', nargs='+', default=None,
                        metavar='KEY=VALUE',
                        help='override config entries, key=value (data_root=DIR '
                        'moves every path of the config)')
    return parser.parse_args(argv)


def _main(argv: Sequence[str]) -> int:
    args = parse_args(argv)
    cfg = load_config(args.config, args.cfg_options)
    browse(cfg, args.split, args.out, args.num, args.gif, args.alpha)
    return 0


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Exit status 0, or 2 after one error line; see
    :mod:`vostoolkit.utils.cli`."""
    return run_tool(_main, argv, 'browse_dataset.py')


if __name__ == '__main__':
    sys.exit(main())
