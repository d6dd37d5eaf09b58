"""Write a procedural toy dataset in a benchmark's on-disk layout.

    python tools/make_toy_data.py
        --format davis|youtube-vos|youtube-vis|ovis|lvos|sav|sav-train|
                 mose|vost
        --out DIR [--videos N] [--val-videos M] [--frames T] [--size H W]
        [--seed S] [--max-objects K] [--categories C] [--test-videos N]
        [--no-all-frames] [--val-test-json] [--seg-format F] [--force]

Deterministic: the same arguments write identical files. The layouts:

* davis: ``JPEGImages/480p/<seq>/00000.jpg``, ``Annotations/480p/...png``
  (palette), ``ImageSets/{2016,2017}/{train,val}.txt`` (+ ``test-dev``);
* youtube-vos: ``{train,valid}/{JPEGImages,Annotations}/<vid>/``,
  ``{train,valid}/meta.json``, ``valid_all_frames/JPEGImages`` (``valid``
  has each object's first-appearance mask only);
* youtube-vis: ``train.json``, ``valid.json``, ``{train,valid}/JPEGImages``;
* ovis: ``annotations_{train,valid}.json``, ``{train,valid}/<vid>/img_*.jpg``;
* lvos: ``{train,valid}/{JPEGImages,Annotations}/<vid>/%08d.*`` (every
  frame, masks on every 5th), ``<split>_meta.json`` (frame ranges),
  ``valid/unseen_videos.txt``;
* sav: ``sav_val/JPEGImages_24fps/<vid>/%05d.jpg``,
  ``sav_val/Annotations_6fps/<vid>/<obj:03d>/%05d.png`` (one binary PNG
  per object, masks may overlap; ``--val-videos`` videos, no train split).
* sav-train: SA-V train as released, ``sav_train_mp4/sav_000/<vid>.mp4``
  (24 fps, mp4v) with ``<vid>_manual.json`` / ``<vid>_auto.json`` (COCO RLE
  masklets on every 4th frame; ``--videos`` videos), the input of
  ``tools/dataset_converters/sav_train.py``.
* mose (MOSE v1 and v2): ``{train,valid}/{JPEGImages,Annotations}/<vid>/``
  with five-digit frames (``valid``: the first frame's mask only);
* vost: ``JPEGImages/<seq>/frame00000.jpg`` (every 6th source frame),
  ``Annotations/<seq>/frame00000.png``, ``ImageSets/{train,val}.txt``.
"""
import argparse
import os.path as osp
import shutil
import sys
import time

from vostoolkit.datasets.toy import FORMATS, generate_toy_dataset
from vostoolkit.utils import ToolError
from vostoolkit.utils.cli import run_tool


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--format', required=True, choices=sorted(FORMATS),
                   help='on-disk layout to write')
    p.add_argument('--out', required=True, help='dataset root to write')
    p.add_argument('--videos', type=int, default=24, help='train videos')
    p.add_argument('--val-videos', type=int, default=None,
                   help='val videos (default: ceil(videos / 4))')
    p.add_argument('--frames', type=int, default=12,
                   help='stored frames per video')
    p.add_argument('--size', type=int, nargs=2, default=(64, 96),
                   metavar=('H', 'W'), help='frame size')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--max-objects', type=int, default=4,
                   help='1 to this many objects per video (<= 4)')
    p.add_argument('--categories', type=int, default=3, choices=(3, 4),
                   help='shape categories')
    p.add_argument('--test-videos', type=int, default=0,
                   help='davis: test-dev sequences (first mask only)')
    p.add_argument('--no-all-frames', action='store_true',
                   help='youtube-vos: skip valid_all_frames')
    p.add_argument('--val-test-json', action='store_true',
                   help='youtube-vis / ovis: write the val JSON without '
                   'annotations (test style)')
    p.add_argument('--seg-format', default='mixed',
                   choices=('mixed', 'rle', 'compressed', 'polygon'),
                   help='youtube-vis / ovis segmentation encoding')
    p.add_argument('--force', action='store_true',
                   help='replace --out if it exists')
    return p.parse_args(argv)


def _main(argv) -> int:
    args = parse_args(argv)
    if osp.exists(args.out):
        if not osp.isdir(args.out):
            raise ToolError(f'--out {args.out}: exists and is not a folder')
        if not args.force:
            raise ToolError(f'{args.out} exists (use --force to replace it)')
        shutil.rmtree(args.out)
    start = time.perf_counter()
    try:
        generate_toy_dataset(
            args.out, args.format, videos=args.videos, frames=args.frames,
            size=tuple(args.size), seed=args.seed,
            val_videos=args.val_videos, test_videos=args.test_videos,
            max_objects=args.max_objects, num_categories=args.categories,
            all_frames=not args.no_all_frames,
            val_annotations=not args.val_test_json,
            seg_format=args.seg_format, progress=True)
    except (ValueError, RuntimeError) as err:
        raise ToolError(str(err)) from err
    print(f'wrote toy {args.format} data to {args.out} in '
          f'{time.perf_counter() - start:.1f} s')
    return 0


def main(argv=None) -> int:
    """Exit status 0, or 2 after one error line; see
    :mod:`vostoolkit.utils.cli`."""
    return run_tool(_main, argv, 'make_toy_data.py')


if __name__ == '__main__':
    sys.exit(main())
