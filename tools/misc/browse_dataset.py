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

import cv2
import numpy as np
from mmengine.config import Config, DictAction
from mmengine.registry import init_default_scope
from mmengine.utils import import_modules_from_strings
from PIL import Image, ImageDraw

from vostoolkit.registry import DATASETS
from vostoolkit.utils import DataError


def davis_palette(num: int = 256) -> np.ndarray:
    """(num, 3) uint8 RGB colours: the PASCAL VOC / DAVIS colour map, in
    which bit k of an index sets bit 7 - k // 3 of one channel."""
    idx = np.arange(num)
    colours = np.zeros((num, 3), dtype=np.int64)
    for shift in range(8):
        for channel in range(3):
            bit = (idx >> (3 * shift + channel)) & 1
            colours[:, channel] |= bit << (7 - shift)
    return colours.astype(np.uint8)


def _blend(frame: np.ndarray, mask: np.ndarray, colour, alpha: float
           ) -> None:
    """Tint ``mask`` pixels of an (H, W, 3) uint8 RGB frame in place and
    draw the mask's boundary in full colour."""
    if not mask.any():
        return
    colour = np.asarray(colour, dtype=np.float32)
    region = frame[mask].astype(np.float32)
    frame[mask] = np.round(region * (1 - alpha) + colour * alpha).astype(
        np.uint8)
    eroded = cv2.erode(mask.astype(np.uint8), np.ones((3, 3), np.uint8),
                       borderType=cv2.BORDER_CONSTANT, borderValue=0)
    frame[mask & (eroded == 0)] = colour.astype(np.uint8)


def overlay_sample(inputs, sample, alpha: float = 0.5) -> List[np.ndarray]:
    """Overlay a packed clip's ground truth on its frames.

    Args:
        inputs (Tensor): (T, 3, H, W) uint8 BGR, as ``PackVideoInputs``
            gives.
        sample (VideoDataSample): the clip's data sample.
        alpha (float): opacity of the mask colours.

    Returns:
        list[np.ndarray]: T frames, (H, W, 3) uint8 RGB.
    """
    frames = inputs.numpy().transpose(0, 2, 3, 1)[..., ::-1]  # -> RGB HWC
    frames = [np.ascontiguousarray(f) for f in frames]
    palette = davis_palette()
    if 'gt_void' in sample:
        for frame, void in zip(frames, sample.gt_void.numpy()):
            _blend(frame, void, (128, 128, 128), alpha)
    if 'gt_obj_masks' in sample:
        masks = sample.gt_obj_masks.numpy()  # (T, H, W)
        for frame, ids in zip(frames, masks):
            for obj in np.unique(ids[ids > 0]):
                _blend(frame, ids == obj, palette[int(obj) % 256], alpha)
    if 'gt_instances' in sample and 'masks' in sample.gt_instances:
        inst = sample.gt_instances
        for k, tube in enumerate(inst.masks.numpy()):  # (T, H, W) each
            colour = palette[(int(inst.instance_ids[k]) % 255) + 1]
            for frame, mask in zip(frames, tube):
                _blend(frame, mask, colour, alpha)
    return frames


def _titles(meta: Dict, num: int) -> List[str]:
    ids = meta.get('frame_ids') or list(range(num))
    extra = []
    if meta.get('flip'):
        extra.append(f"flip {meta.get('flip_direction') or ''}".strip())
    if meta.get('rotate_angle'):
        extra.append(f"rot {meta['rotate_angle']:.0f}")
    if meta.get('reversed'):
        extra.append('reversed')
    suffix = (' ' + ', '.join(extra)) if extra else ''
    return [f'frame {i}{suffix}' for i in ids]


def _draw_title(frame: np.ndarray, text: str) -> Image.Image:
    img = Image.fromarray(frame)
    draw = ImageDraw.Draw(img)
    box = draw.textbbox((2, 1), text)
    draw.rectangle(box, fill=(0, 0, 0))
    draw.text((2, 1), text, fill=(255, 255, 255))
    return img


def write_clip(frames: Sequence[np.ndarray], titles: Sequence[str],
               out_stem: str, gif: bool, duration_ms: int = 200) -> List[str]:
    """Write frames as ``out_stem/NNNNN.png`` or ``out_stem.gif``.

    Files are written under a temporary name and renamed when complete.

    Returns:
        list[str]: the paths written.
    """
    images = [_draw_title(f, t) for f, t in zip(frames, titles)]
    if gif:
        path = out_stem + '.gif'
        images[0].save(path + '.part', format='GIF', save_all=True,
                       append_images=images[1:], duration=duration_ms,
                       loop=0)
        os.replace(path + '.part', path)
        return [path]
    os.makedirs(out_stem, exist_ok=True)
    paths = []
    for t, img in enumerate(images):
        path = osp.join(out_stem, f'{t:05d}.png')
        img.save(path + '.part', format='PNG')
        os.replace(path + '.part', path)
        paths.append(path)
    return paths


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
    """Write the first ``num`` items of a split; return the paths."""
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
        written += write_clip(frames, _titles(meta, len(frames)), stem, gif)
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
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config entries, key=value')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    try:
        cfg = Config.fromfile(args.config)
        if args.cfg_options:
            cfg.merge_from_dict(args.cfg_options)
        browse(cfg, args.split, args.out, args.num, args.gif, args.alpha)
    except (DataError, FileNotFoundError) as err:
        print(f'browse_dataset: error: {err}', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
