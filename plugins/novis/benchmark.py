"""NOVIS inference benchmark: frames/s and peak memory of near-online
streaming.

    python -m plugins.novis.benchmark [--model r50|toy] [--frames 100 500]
        [--short-edge 360] [--chunk 2] [--device cpu|cuda]
        [--impl auto|plain|gather|fused] [--clip-repeats 3]

Each video length runs in its own process (peak RSS is per process) on a
smooth random video of the given shortest edge (16:9), fed in chunks through
the data preprocessor and ``NOVIS.predict`` as the video test loop does.
The model is randomly initialised: speed does not depend on the weights, and
the memory held per finished frame (N RLE masks) is bounded by the frame
size. One view per clip: a config's test-time augmentation
(``test_cfg.tta``) is switched off, so the figures are those of the
paper's inference. Prints one line per length, with the share of each
stage in the timed frames: backbone, pixel decoder, video decoder, and the
rest (tracking and post-processing: overlap embeddings, matching, clip
averaging, up-sampling, scoring, RLE). ``--impl`` picks the deformable
attention implementation (see ``vostoolkit.models.layers.
deformable_attention``).

With ``--clip-repeats N`` it times instead the network on one clip of 4
frames at the padded size (backbone, pixel decoder and video decoder),
interleaved, N repeats each: as before (plain deformable attention, every
decoder layer's mask tubes at full size, as the reference computes them)
and as now (the chosen attention, the decoder as inference runs it), and
prints the medians.
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from typing import Dict, List, Optional

import torch
from mmengine.config import Config

CONFIGS = {'r50': 'configs/novis/novis_r50_ovis.py',
           'toy': 'configs/novis/novis_r18_toy-ytvis.py'}


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


STAGES = ('backbone', 'pixel_decoder', 'decoder')


def _time_stages(model, device: str) -> Dict[str, float]:
    """Seconds spent in each of ``STAGES`` (forward calls), accumulated in
    the returned dict by hooks on the model's parts."""
    spent = dict.fromkeys(STAGES, 0.0)
    started = {}

    def sync():
        if device == 'cuda':
            torch.cuda.synchronize()

    for name in STAGES:
        part = getattr(model, name)

        def pre(mod, args, name=name):
            sync()
            started[name] = time.perf_counter()

        def post(mod, args, out, name=name):
            sync()
            spent[name] += time.perf_counter() - started[name]

        part.register_forward_pre_hook(pre)
        part.register_forward_hook(post)
    return spent


def _build(model_name: str, device: str, impl: str):
    import plugins.novis  # noqa: F401
    from vostoolkit.models.layers import MultiScaleDeformableAttention
    from vostoolkit.registry import MODELS
    torch.manual_seed(0)
    root = os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))))
    cfg = Config.fromfile(os.path.join(root, CONFIGS[model_name]))
    cfg.model.test_cfg.tta = None
    model = MODELS.build(cfg.model).to(device).eval()
    for m in model.modules():
        if isinstance(m, MultiScaleDeformableAttention):
            m.impl = impl
    return model


def run_one(model_name: str, frames: int, short_edge: int, chunk: int,
            device: str, impl: str = 'auto') -> dict:
    """Stream one random video; return its timing, stage shares and
    memory."""
    from vostoolkit.structures import VideoDataSample
    model = _build(model_name, device, impl)
    spent = _time_stages(model, device)
    h, w = short_edge, int(round(short_edge * 16 / 9))
    gen = torch.Generator().manual_seed(0)
    # smooth random frames (noise at 1/16 size, up-sampled), moving sideways
    low = torch.rand(chunk, 3, h // 16 + 1, w // 16 + 1, generator=gen)
    base = torch.nn.functional.interpolate(low, size=(h, w), mode='bilinear',
                                           align_corners=False)
    base = (base * 255).to(torch.uint8)
    model.reset_video_state()
    rss_start = _peak_rss_mb()
    t0, warm = time.perf_counter(), None
    for s in range(0, frames, chunk):
        ids = list(range(s, min(s + chunk, frames)))
        sample = VideoDataSample(metainfo=dict(
            video_id=0, frame_ids=ids, video_length=frames,
            is_first=s == 0, is_last=ids[-1] == frames - 1,
            img_shape=(h, w), ori_shape=(h, w)))
        data = model.data_preprocessor(dict(
            inputs=[torch.roll(base[:len(ids)], s, dims=-1)],
            data_samples=[sample]), False)
        out = model(**data, mode='predict')
        if device == 'cuda':
            torch.cuda.synchronize()
        if warm is None:
            warm = time.perf_counter()
            spent.update(dict.fromkeys(spent, 0.0))
    end = time.perf_counter()
    assert len(out) == 1 and len(out[0].pred_instances.rles[0]) == frames
    timed = frames - chunk
    cuda_peak = (torch.cuda.max_memory_allocated() / 2**20
                 if device == 'cuda' else None)
    stages = dict(spent)
    stages['tracking_post'] = end - warm - sum(spent.values())
    return dict(model=model_name, frames=frames, size=f'{h}x{w}',
                device=device, impl=impl, stages=stages,
                fps=timed / (end - warm) if timed else None,
                total_s=end - t0, peak_rss_mb=_peak_rss_mb(),
                rss_before_video_mb=rss_start, cuda_peak_mb=cuda_peak)


def run_clip(model_name: str, short_edge: int, device: str, impl: str,
             repeats: int, clip_len: int = 4) -> dict:
    """Median seconds of the network (and of each stage) on one clip of
    ``clip_len`` random frames, interleaved: ``before`` (the plain
    deformable attention, every decoder layer's masks at full size, as the
    reference computes them) and ``now`` (attention ``impl``, the decoder
    as NOVIS inference runs it: ``all_masks=False``)."""
    model = _build(model_name, device, impl)
    spent = _time_stages(model, device)
    h, w = short_edge, int(round(short_edge * 16 / 9))
    frames = torch.randint(0, 256, (clip_len, 3, h, w), dtype=torch.uint8,
                           generator=torch.Generator().manual_seed(0))
    data = model.data_preprocessor(dict(inputs=[frames]), False)
    inputs = data['inputs'].to(device)  # (1, T, 3, H', W') padded
    variants = dict(before=('plain', True), now=(impl, False))
    times = {v: dict(total=[], **{s: [] for s in STAGES}) for v in variants}
    for r in range(repeats + 1):  # the first round warms up
        for name, (attn, all_masks) in variants.items():
            for m in model.modules():
                if hasattr(m, 'impl'):
                    m.impl = attn
            spent.update(dict.fromkeys(spent, 0.0))
            start = time.perf_counter()
            with torch.no_grad():
                model.decoder(*model._clip_feats(inputs),
                              all_masks=all_masks)
            if device == 'cuda':
                torch.cuda.synchronize()
            if r:
                times[name]['total'].append(time.perf_counter() - start)
                for k, v in spent.items():
                    times[name][k].append(v)
    return dict(model=model_name, size='x'.join(map(str, inputs.shape[-2:])),
                frames=clip_len, device=device, repeats=repeats, impl=impl,
                threads=torch.get_num_threads(),
                medians={v: {k: statistics.median(x) for k, x in t.items()}
                         for v, t in times.items()})


def _stage_text(stages: Dict[str, float]) -> str:
    total = sum(stages.values())
    names = dict(backbone='backbone', pixel_decoder='pixel decoder',
                 decoder='decoder', tracking_post='tracking+post')
    return ', '.join(f'{names[k]} {100 * v / total:.0f}%'
                     for k, v in stages.items())


def _child(args: List[str]) -> Optional[dict]:
    """Run this script with ``--one`` in a fresh process; its JSON line, or
    None (the error printed) if it failed."""
    cmd = [sys.executable, '-m', 'plugins.novis.benchmark', '--one', *args]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode:
        print(f'novis benchmark: {" ".join(args)} failed:\n{proc.stderr}',
              file=sys.stderr)
        return None
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--model', choices=sorted(CONFIGS), default='r50')
    parser.add_argument('--frames', type=int, nargs='+', default=[100, 500])
    parser.add_argument('--short-edge', type=int, default=360)
    parser.add_argument('--chunk', type=int, default=2)
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--impl', default='auto',
                        choices=('auto', 'plain', 'gather', 'fused'),
                        help='deformable attention implementation')
    parser.add_argument('--clip-repeats', type=int, default=0,
                        help='time the network on one 4-frame clip instead '
                             '(before / now)')
    parser.add_argument('--one', action='store_true',
                        help=argparse.SUPPRESS)  # child process mode
    args = parser.parse_args(argv)
    common = ['--model', args.model, '--short-edge', str(args.short_edge),
              '--device', args.device, '--impl', args.impl]
    if args.clip_repeats and args.one:
        print(json.dumps(run_clip(args.model, args.short_edge, args.device,
                                  args.impl, args.clip_repeats)))
        return 0
    if args.clip_repeats:  # in its own process too: peak RSS stays apart
        r = _child(common + ['--clip-repeats', str(args.clip_repeats)])
        if r is None:
            return 1
        base = r['medians']['before']['total']
        labels = dict(before='before (plain attention, every layer\'s '
                      'masks at full size)',
                      now=f'now (attention {args.impl}, inference decoder)')
        for name, med in r['medians'].items():
            stages = ', '.join(f'{k.replace("_", " ")} {med[k]:.2f} s'
                               for k in STAGES)
            print(f"NOVIS {r['model']} {r['device']} network, one clip of "
                  f"{r['frames']} frames {r['size']}, {labels[name]}: "
                  f"{med['total']:.2f} s ({stages}; "
                  f"{base / med['total']:.2f}x before; median of "
                  f"{r['repeats']}, {r['threads']} threads)", flush=True)
        return 0
    if args.one:
        print(json.dumps(run_one(args.model, args.frames[0],
                                 args.short_edge, args.chunk, args.device,
                                 args.impl)))
        return 0
    for n in args.frames:
        r = _child(common + ['--frames', str(n), '--chunk', str(args.chunk)])
        if r is None:
            return 1
        fps = f"{r['fps']:.2f}" if r['fps'] else 'n/a'
        cuda = (f", CUDA peak {r['cuda_peak_mb']:.0f} MiB"
                if r.get('cuda_peak_mb') is not None else '')
        print(f"NOVIS {r['model']} {r['device']} {r['size']} "
              f"{r['frames']} frames: {fps} frames/s, peak RSS "
              f"{r['peak_rss_mb']:.0f} MiB (model loaded: "
              f"{r['rss_before_video_mb']:.0f} MiB){cuda}; time after the "
              f"first chunk: {_stage_text(r['stages'])}", flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
