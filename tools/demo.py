"""Segment your own video with any vostoolkit model.

    python tools/demo.py CONFIG CHECKPOINT --input VIDEO.mp4|FRAMES_DIR
        [--mask FIRST.png] [--out OUT_DIR] [--gif] [--save-frames]
        [--device cpu|cuda] [--chunk-len N] [--score-thr S]
        [--cfg-options key=value ...]

The input is a video file (anything OpenCV decodes) or a folder of .jpg /
.png frames taken in file-name order; it is read frame by frame and fed to
the model in chunks, as ``tools/test.py`` feeds a test set, through the
config's test pipeline without its loading steps
(:func:`vostoolkit.apis.build_demo_pipeline`).

VOS models (DAVIS / YouTube-VOS configs) need ``--mask``: an id PNG of the
first frame, palette (DAVIS-style, 255 = void) or grayscale (values are
object ids; a 0/255 mask is one object), of the frames' size. They write
``OUT/masks/<frame>.png``, palette PNGs (DAVIS palette) at the original
size.

VIS models (YouTube-VIS / OVIS configs) need no mask. They write
``OUT/results.json`` (every predicted instance: ``id``, ``label``,
``category``, ``score`` and one COCO RLE or null per frame).

Both write ``OUT/overlay.mp4``: the video at its frame rate (10 fps for a
folder) with the prediction drawn (:mod:`vostoolkit.visualization`): VOS
objects in their DAVIS palette colour, VIS instances scoring at least
``--score-thr`` in their id's colour, labelled with id, class and score.
``--gif`` also writes ``OUT/overlay.gif`` (frames scaled to at most
``--gif-size`` pixels on the long edge) and ``--save-frames`` the overlaid
frames as ``OUT/overlays/<frame>.png``. Overlays are streamed frame by
frame: memory does not grow with the video's length. Every file is written
under a temporary name and renamed when complete. Bad input (video, frames,
mask, option, config, checkpoint) gives one line naming the file and the
cause on stderr and exit status 2 (``--debug``: the traceback; see
:mod:`vostoolkit.utils.cli`).
"""
import argparse
import json
import os
import os.path as osp
import sys
from contextlib import ExitStack
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch

from vostoolkit.apis import (ToolError, VideoFrameReader, inference_video,
                             init_model, load_config, model_task,
                             read_first_mask)
from vostoolkit.evaluation import decode_index_png, encode_index_png
from vostoolkit.evaluation.metrics.sample_utils import (join_vis_chunks,
                                                        vis_prediction,
                                                        vos_prediction)
from vostoolkit.utils.cli import run_tool
from vostoolkit.visualization import (FrameFolderWriter, GIFWriter,
                                      MP4Writer, draw_id_map, draw_title,
                                      draw_vis_frame)


def _save_bytes(data: bytes, path: str) -> None:
    with open(path + '.part', 'wb') as f:
        f.write(data)
    os.replace(path + '.part', path)


# ------------------------------------------------------------ predictions
def write_vos_masks(samples, reader: VideoFrameReader, mask_dir: str
                    ) -> int:
    """Write each predicted frame as ``mask_dir/<frame>.png`` (palette).

    Returns:
        int: Frames written.

    Raises:
        ToolError: When the model left frames without a prediction.
    """
    os.makedirs(mask_dir, exist_ok=True)
    done = set()
    for sample in samples:
        _, ids, _, masks = vos_prediction(sample.to_dict())
        for fid, ids_map in zip(ids, masks):  # (H, W) each, original size
            name = reader.frame_names[fid]
            _save_bytes(encode_index_png(ids_map),
                        osp.join(mask_dir, name + '.png'))
            done.add(fid)
    missing = sorted(set(range(len(reader))) - done)
    if missing:
        raise ToolError(f'{reader.path}: the model returned no mask for '
                        f'frames {missing[:5]} ({len(missing)} in all)')
    return len(done)


def collect_vis_results(samples, reader: VideoFrameReader,
                        classes: Optional[Sequence[str]]) -> Dict:
    """Whole-video instances from the model's VIS predictions.

    Returns:
        dict: ``video``, ``video_length``, ``height``, ``width``,
        ``frame_names``, ``classes`` and ``instances`` (best first), each
        ``{id, label, category, score, segmentations}`` with one RLE
        (str counts) or None per frame.
    """
    records = [vis_prediction(s.to_dict()) for s in samples]
    instances = []
    if records:
        scores, labels, tracks = join_vis_chunks(records)
        if tracks and len(tracks[0]) != len(reader):
            raise ToolError(f'{reader.path}: the model predicted '
                            f'{len(tracks[0])} frames of {len(reader)}')
        for k in np.argsort(-np.asarray(scores), kind='stable'):
            label = int(labels[k])
            name = classes[label] if classes and label < len(classes) \
                else None
            instances.append(dict(
                id=len(instances) + 1, label=label, category=name,
                score=float(scores[k]), segmentations=tracks[k]))
    h, w = reader.hw
    return dict(video=reader.name, video_length=len(reader), height=h,
                width=w, frame_names=list(reader.frame_names),
                classes=list(classes) if classes else None,
                instances=instances)


def _class_names(cfg) -> Optional[List[str]]:
    names = cfg.get('classes')
    if not names:
        dataset = (cfg.get('test_dataloader') or {}).get('dataset') or {}
        names = (dataset.get('metainfo') or {}).get('classes')
    return [str(n) for n in names] if names else None


# --------------------------------------------------------------- overlays
def overlay_frame(frame: np.ndarray, vos_ids: Optional[np.ndarray] = None,
                  vis: Optional[List[Dict]] = None, t: int = 0,
                  alpha: float = 0.5) -> np.ndarray:
    """One frame with its prediction drawn.

    Args:
        frame (np.ndarray): (H, W, 3) uint8 BGR.
        vos_ids (np.ndarray, optional): (H, W) object ids.
        vis (list[dict], optional): Instances to draw (``id``, ``label``,
            ``category``, ``score``, ``segmentations``).
        t (int): Frame index (for ``segmentations``).
        alpha (float): Mask opacity.

    Returns:
        np.ndarray: (H, W, 3) uint8 RGB.
    """
    rgb = np.ascontiguousarray(frame[..., ::-1])  # BGR -> RGB
    if vos_ids is not None:
        draw_id_map(rgb, vos_ids, alpha)
    if vis:
        draw_vis_frame(rgb, vis, t, alpha)
    return rgb


def write_overlays(reader: VideoFrameReader, out_dir: str, *,
                   mask_dir: Optional[str] = None,
                   vis: Optional[List[Dict]] = None, mp4: bool = True,
                   gif: bool = False, gif_size: int = 480,
                   save_frames: bool = False, alpha: float = 0.5
                   ) -> List[str]:
    """Read the video again and draw the masks in ``mask_dir`` (VOS) or the
    instances ``vis`` (VIS) on every frame, streaming them to
    ``out_dir/overlay.mp4`` (``mp4``), ``out_dir/overlay.gif`` (``gif``;
    frames scaled to ``gif_size`` on the long edge) and
    ``out_dir/overlays/<frame>.png`` (``save_frames``). No frame is kept in
    memory. Returns the paths written."""
    with ExitStack() as stack:
        writers = []
        if mp4:
            writers.append(MP4Writer(osp.join(out_dir, 'overlay.mp4'),
                                     reader.fps))
        if gif:
            writers.append(GIFWriter(osp.join(out_dir, 'overlay.gif'),
                                     reader.fps, max_size=gif_size))
        if save_frames:
            writers.append(FrameFolderWriter(osp.join(out_dir, 'overlays')))
        for writer in writers:
            stack.enter_context(writer)
        if not writers:
            return []
        for t, frame in enumerate(reader):
            name = reader.frame_names[t]
            ids = None
            if mask_dir is not None:
                ids = decode_index_png(osp.join(mask_dir, name + '.png'))
            rgb = draw_title(overlay_frame(frame, ids, vis, t, alpha),
                             f'frame {name}')
            try:
                for writer in writers:
                    writer.write(rgb, name)
            except OSError as err:  # no mp4 encoder, disk full, ...
                raise ToolError(str(err)) from err
    return [w.path + (os.sep if isinstance(w, FrameFolderWriter) else '')
            for w in writers]


# -------------------------------------------------------------------- main
def run_demo(args: argparse.Namespace) -> List[str]:
    """Run the demo for parsed ``args``; return the paths written."""
    if args.device == 'cuda' and not torch.cuda.is_available():
        raise ToolError('--device cuda: no CUDA GPU on this machine; use '
                        '--device cpu')
    cfg = load_config(args.config, args.cfg_options)
    task = model_task(cfg)
    reader = VideoFrameReader(args.input)
    first_mask = None
    if task == 'vos':
        if args.mask is None:
            raise ToolError(f'{args.config}: a VOS model needs the first '
                            "frame's objects: give --mask FIRST.png")
        first_mask, _ = read_first_mask(args.mask, reader.hw)
    elif args.mask is not None:
        print(f'demo.py: {args.config} is a VIS model; --mask {args.mask} '
              'is ignored', file=sys.stderr)
    model = init_model(cfg, args.checkpoint, device=args.device)
    out = args.out or osp.join('work_dirs', 'demo', reader.name)
    os.makedirs(out, exist_ok=True)
    samples = inference_video(model, reader, first_mask, task=task,
                              chunk_len=args.chunk_len)
    if task == 'vos':
        mask_dir = osp.join(out, 'masks')
        write_vos_masks(samples, reader, mask_dir)
        written = [mask_dir + os.sep]
        written += write_overlays(
            reader, out, mask_dir=mask_dir, gif=args.gif,
            gif_size=args.gif_size, save_frames=args.save_frames,
            alpha=args.alpha)
    else:
        results = collect_vis_results(samples, reader, _class_names(cfg))
        path = osp.join(out, 'results.json')
        _save_bytes(json.dumps(results).encode(), path)
        shown = [i for i in results['instances']
                 if i['score'] >= args.score_thr]
        written = [path] + write_overlays(
            reader, out, vis=shown, gif=args.gif, gif_size=args.gif_size,
            save_frames=args.save_frames, alpha=args.alpha)
    print(f'{reader.name}: {len(reader)} frames ({task.upper()}) -> {out} '
          f'({osp.join(out, "overlay.mp4")})')
    return written


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Segment a video file or a folder of frames with a '
        'vostoolkit model.')
    parser.add_argument('config', help='config file (.py)')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--input', required=True,
                        help='video file or folder of .jpg/.png frames')
    parser.add_argument('--mask', help='VOS: id PNG of the first frame '
                        '(palette or grayscale)')
    parser.add_argument('--out', help='output folder (default: '
                        'work_dirs/demo/<input name>)')
    parser.add_argument('--gif', action='store_true',
                        help='also write OUT/overlay.gif')
    parser.add_argument('--gif-size', type=int, default=480,
                        help='long edge of the GIF frames, at most')
    parser.add_argument('--save-frames', action='store_true',
                        help='also write each overlaid frame as '
                        'OUT/overlays/<frame>.png')
    parser.add_argument('--device', choices=['cpu', 'cuda'],
                        default='cuda' if torch.cuda.is_available() else
                        'cpu')
    parser.add_argument('--chunk-len', type=int, default=None,
                        help='frames per chunk (default: the config\'s '
                        'test_chunk_len, else 8)')
    parser.add_argument('--score-thr', type=float, default=0.3,
                        help='VIS: draw instances scoring at least this')
    parser.add_argument('--alpha', type=float, default=0.5,
                        help='mask opacity in the overlays')
    parser.add_argument('--cfg-options', nargs='+', default=None,
                        metavar='KEY=VALUE', help='override config entries')
    return parser.parse_args(argv)


def _main(argv) -> int:
    run_demo(parse_args(argv))
    return 0


def main(argv=None) -> int:
    """Exit status 0, or 2 after one error line; see
    :mod:`vostoolkit.utils.cli`."""
    return run_tool(_main, argv, 'demo.py')


if __name__ == '__main__':
    sys.exit(main())
