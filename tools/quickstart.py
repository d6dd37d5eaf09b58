"""``make quickstart``: NOVIS on the toy YouTube-VIS videos, end to end.

    python tools/quickstart.py [--config CONFIG] [--work-dir DIR]
        [--minutes M] [--procs N] [--cfg-options key=value ...]

1. Generates the toy YouTube-VIS-format videos if missing (the config's
   ``data_root`` and ``toy_spec``).
2. Trains the config (default ``configs/novis/novis_r18_toy-ytvis.py``) for its
   ``max_iters`` or at most ``--minutes`` of wall-clock time
   (``TrainTimeBudgetHook``; default: the config's own budget). A
   ``pretrain_stage`` of the config (the toy NOVIS backbone's frame-level
   pretraining) runs first when its weights are missing, inside the same
   budget. ``--procs N`` (N > 1) trains data-parallel instead of in this
   process: N processes (torchrun; gloo without CUDA), each with 1/N of
   the cores and of the config's batch, started once the stage is done and
   counting the same budget (the prepared config is written to
   ``<work-dir>/quickstart_train.py`` and trained by ``tools/train.py
   --launcher pytorch``).
3. Runs near-online inference on the toy val split once, scoring it with
   the official YouTube-VIS AP (``YouTubeVISMetric``) and writing the
   server's ``results.json`` zip (``<work-dir>/results.zip``), which is then
   checked with ``vostoolkit.evaluation.validate_vis_zip``.
4. Prints AP and saves ``<work-dir>/overlay.gif``: one val video with each
   predicted track (score >= ``--gif-score``; of masks overlapping by video
   IoU > 0.5 only the best-scoring one) in its own colour, labelled
   with its id (rank by score) and category.
"""
import argparse
import copy
import json
import os
import os.path as osp
import subprocess
import sys
import time
import zipfile

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
DEFAULT_CONFIG = osp.join(ROOT, 'configs', 'novis', 'novis_r18_toy-ytvis.py')
TRAIN_TOOL = osp.join(ROOT, 'tools', 'train.py')
BUDGET_HOOK = 'TrainTimeBudgetHook'


def ensure_data(cfg) -> None:
    """Generate every toy dataset the config's dataloaders point at."""
    from vostoolkit.datasets.toy import ensure_toy_dataset
    from vostoolkit.registry import DATASETS
    done = set()
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        dataset = (cfg.get(key) or {}).get('dataset') or {}
        spec, root = dataset.get('toy_spec'), dataset.get('data_root')
        if spec is None or root is None or root in done:
            continue
        spec = dict(spec)
        cls = DATASETS.get(dataset.get('type'))
        fmt = spec.pop('fmt', getattr(cls, 'TOY_FORMAT', 'davis'))
        ensure_toy_dataset(root, fmt, **spec)
        done.add(root)


def set_budget(cfg, minutes) -> None:
    """Set the config's training time budget to ``minutes`` (if given):
    its ``TrainTimeBudgetHook`` keeps its other arguments (e.g.
    ``fit_schedule``); a config without one gets one."""
    if minutes is None:
        return
    hooks = [dict(h) for h in cfg.get('custom_hooks') or []]
    budget = [h for h in hooks if h.get('type') == BUDGET_HOOK]
    for hook in budget:
        hook['max_minutes'] = minutes
    if not budget:
        hooks.append(dict(type=BUDGET_HOOK, max_minutes=minutes))
    cfg.custom_hooks = hooks


def _cores() -> int:
    if hasattr(os, 'sched_getaffinity'):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def training_processes(requested: str, cfg) -> tuple:
    """``--procs``: ``(processes, threads per process)``; the processes
    must divide the config's batch, and share the cores evenly."""
    from vostoolkit.apis import ToolError
    batch = int(cfg.train_dataloader.get('batch_size', 1))
    try:
        procs = int(requested)
    except ValueError:
        procs = 0
    if procs < 1:
        raise ToolError(f'--procs {requested}: expected a positive number '
                        'of processes')
    if batch % procs:
        raise ToolError(f'--procs {procs} does not divide the training '
                        f'batch size {batch}')
    return procs, max(1, _cores() // procs)


def train_data_parallel(cfg, procs: int, threads: int,
                        launched_at: float) -> str:
    """Train the prepared ``cfg`` in ``procs`` processes with torchrun.

    The config (its batch split between the processes, its budget counted
    from ``launched_at``, a ``time.time()`` reading) is written to
    ``<work_dir>/quickstart_train.py`` and trained by ``tools/train.py
    --launcher pytorch``, ``threads`` threads per process.

    Returns:
        str: The final checkpoint (the work dir's ``last_checkpoint``).
    """
    from mmengine.runner import find_latest_checkpoint

    from vostoolkit.apis import ToolError
    cfg = copy.deepcopy(cfg)
    cfg.train_dataloader.batch_size = (
        int(cfg.train_dataloader.get('batch_size', 1)) // procs)
    for hook in cfg.get('custom_hooks') or []:
        if hook.get('type') == BUDGET_HOOK:
            hook['launched_at'] = launched_at
    os.makedirs(cfg.work_dir, exist_ok=True)
    path = osp.join(cfg.work_dir, 'quickstart_train.py')
    tmp = f'{path}.{os.getpid()}.tmp.py'
    cfg.dump(tmp)
    os.replace(tmp, path)
    # --standalone: a rendezvous on this machine at a free port
    cmd = [sys.executable, '-m', 'torch.distributed.run', '--standalone',
           f'--nproc_per_node={procs}', TRAIN_TOOL, path,
           '--launcher', 'pytorch', '--work-dir', cfg.work_dir]
    env = dict(os.environ, OMP_NUM_THREADS=str(threads),
               MKL_NUM_THREADS=str(threads))
    print(f'quickstart: training on {procs} data-parallel processes, '
          f'{threads} thread(s) each: {" ".join(cmd)}', flush=True)
    launched = time.time()
    code = subprocess.call(cmd, env=env)
    if code:
        raise ToolError(f'{path}: the {procs} training processes failed '
                        f'(torchrun exit {code}; their log is above)')
    ckpt = find_latest_checkpoint(cfg.work_dir)
    if not ckpt or not osp.isfile(ckpt) or osp.getmtime(ckpt) < launched:
        raise ToolError(f'{path}: training ended without a new checkpoint '
                        f'in {cfg.work_dir}')
    return ckpt


def _palette(n: int):
    import numpy as np
    rng = np.random.default_rng(3)
    base = [(230, 25, 75), (60, 180, 75), (255, 225, 25), (0, 130, 200),
            (245, 130, 48), (145, 30, 180), (70, 240, 240), (240, 50, 230)]
    extra = [tuple(int(v) for v in rng.integers(40, 256, 3))
             for _ in range(max(0, n - len(base)))]
    return (base + extra)[:n]


def _decode(rle, h: int, w: int):
    import numpy as np
    from pycocotools import mask as mask_utils
    if rle is None:
        return np.zeros((h, w), bool)
    counts = rle['counts']
    return mask_utils.decode(dict(rle, counts=counts.encode() if isinstance(
        counts, str) else counts)).astype(bool)


def save_overlay_gif(results, ann_file: str, img_root: str, out: str,
                     min_score: float = 0.5, scale: int = 4) -> str:
    """Overlay one video's predictions (colour + id per instance) as a GIF.

    Args:
        results (list[dict]): ``results.json`` entries (RLE per frame).
        ann_file (str): The split's JSON (frame files, category names).
        img_root (str): Folder the ``file_names`` are relative to.
        out (str): GIF path (written to a temporary name, then renamed).
        min_score (float): Instances shown (at least the best one).
        scale (int): Up-sampling of the toy frames for legibility.

    Returns:
        str: The video's name.
    """
    import cv2
    import numpy as np
    from PIL import Image
    with open(ann_file) as f:
        ann = json.load(f)
    names = {c['id']: c['name'] for c in ann['categories']}
    video = ann['videos'][0]
    dets = sorted((r for r in results if r['video_id'] == video['id']),
                  key=lambda r: -r['score'])
    dets = [r for i, r in enumerate(dets) if r['score'] >= min_score or not i]
    # a track listed with several classes, or a duplicate query: draw the
    # best-scoring one of masks overlapping by video IoU > 0.5 only
    tubes = [np.stack([_decode(s, video['height'], video['width'])
                       for s in det['segmentations']]) for det in dets]
    keep = []
    for i, tube in enumerate(tubes):
        if all((tube & tubes[j]).sum() <= 0.5 * (tube | tubes[j]).sum()
               for j in keep):
            keep.append(i)
    dets, tubes = [dets[i] for i in keep], [tubes[i] for i in keep]
    colours = _palette(len(dets))
    frames = []
    for t, name in enumerate(video['file_names']):
        img = cv2.imread(osp.join(img_root, name))[:, :, ::-1].astype(float)
        labels = []
        for i, (det, tube, colour) in enumerate(zip(dets, tubes, colours)):
            m = tube[t]
            img[m] = 0.45 * img[m] + 0.55 * np.array(colour)
            if m.any():
                ys, xs = np.nonzero(m)
                labels.append((i, colour, int(xs.mean()), int(ys.mean()),
                               names.get(det['category_id'], '?')))
        img = cv2.resize(img.clip(0, 255).astype(np.uint8), None, fx=scale,
                         fy=scale, interpolation=cv2.INTER_NEAREST)
        img = np.ascontiguousarray(img)
        for i, colour, x, y, cat in labels:
            cv2.putText(img, f'{i} {cat}', (x * scale - 12, y * scale),
                        cv2.FONT_HERSHEY_SIMPLEX, 0.45, (255, 255, 255), 2)
            cv2.putText(img, f'{i} {cat}', (x * scale - 12, y * scale),
                        cv2.FONT_HERSHEY_SIMPLEX, 0.45, colour, 1)
        frames.append(Image.fromarray(img))
    tmp = f'{out}.{os.getpid()}.tmp.gif'
    frames[0].save(tmp, save_all=True, append_images=frames[1:],
                   duration=200, loop=0)
    os.replace(tmp, out)
    return video.get('name') or osp.dirname(video['file_names'][0])


def _test_with_submission(runner_cfg, ckpt: str, zip_path: str):
    """One pass over the val split: AP and the submission zip."""
    from vostoolkit.apis import build_runner
    cfg = runner_cfg.copy()
    sub = dict(cfg.submit_evaluator, type='YouTubeVISSubmission',
               out_file=zip_path)
    cfg.test_evaluator = [dict(cfg.test_evaluator), sub]
    cfg.load_from = ckpt
    cfg.resume = False
    cfg.custom_hooks = []
    cfg.work_dir = osp.join(cfg.work_dir, 'test')
    return build_runner(cfg).test()


def main(argv=None) -> int:
    from vostoolkit.utils.cli import run_tool
    return run_tool(_main, argv, 'quickstart.py')


def _main(argv) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--config', default=DEFAULT_CONFIG)
    parser.add_argument('--work-dir', default=osp.join('work_dirs',
                                                       'quickstart'))
    parser.add_argument('--minutes', type=float, default=None,
                        help='training time budget (default: the '
                        "config's, 15 min for the toy NOVIS config)")
    parser.add_argument('--procs', default='1',
                        help='training processes (default 1; N > 1: '
                        'data-parallel with torchrun, 1/N of the batch '
                        'and of the cores each)')
    parser.add_argument('--gif-score', type=float, default=0.5,
                        help='score of the instances drawn in the GIF')
    parser.add_argument('--cfg-options', nargs='+', default=None,
                        metavar='KEY=VALUE')
    args = parser.parse_args(argv)

    from vostoolkit.apis import (ToolError, build_runner, load_config,
                                 prepare_train_cfg, run_pretrain_stage,
                                 start_budget_clock)
    from vostoolkit.engine import load_from_local_trusted
    from vostoolkit.evaluation import validate_vis_zip
    from vostoolkit.utils import DataError
    try:
        cfg = load_config(args.config, args.cfg_options)
        procs, threads = training_processes(args.procs, cfg)
        ensure_data(cfg)
        cfg = prepare_train_cfg(cfg, args.config, work_dir=args.work_dir)
        set_budget(cfg, args.minutes)
        # one budget from here: the stage, building the runner and the loop
        start, launched_at = time.monotonic(), time.time()
        stage_s = run_pretrain_stage(cfg, args.config,
                                     cfg_options=args.cfg_options)
        # the test below scores the final checkpoint: no validation inside
        # the timed training
        cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
        if procs > 1:
            ckpt = train_data_parallel(cfg, procs, threads, launched_at)
            iters = int(load_from_local_trusted(ckpt)['meta']['iter'])
        else:
            runner = build_runner(cfg)
            start_budget_clock(runner, start)
            runner.train()
            iters = runner.iter
            ckpt = osp.join(cfg.work_dir, f'iter_{iters}.pth')
            if not osp.isfile(ckpt):  # the checkpoint or budget hook saved it
                runner.save_checkpoint(cfg.work_dir, osp.basename(ckpt),
                                       by_epoch=False)
        train_s = time.monotonic() - start
        zip_path = osp.join(cfg.work_dir, 'results.zip')
        metrics = _test_with_submission(cfg, ckpt, zip_path)
        ann_file = cfg.submit_evaluator['ann_file']
        problems = validate_vis_zip(zip_path, ann_file)
        if problems:
            raise DataError(f'{zip_path}: the validator rejects it: '
                            f'{problems[0]}')
        with zipfile.ZipFile(zip_path) as zf:
            results = json.loads(zf.read('results.json'))
        ds = cfg.test_dataloader['dataset']
        img_root = osp.join(ds['data_root'], ds['data_prefix']['img'])
        gif = osp.join(cfg.work_dir, 'overlay.gif')
        video = save_overlay_gif(results, ann_file, img_root, gif,
                                 min_score=args.gif_score)
    except (ToolError, DataError) as err:
        print(f'quickstart.py: error: {err}', file=sys.stderr)
        return 2 if isinstance(err, ToolError) else 1
    scores = ', '.join(f'{k.split("/")[-1]} {v:.3f}'
                       for k, v in metrics.items()
                       if k in ('vis/AP', 'vis/AP50', 'vis/AP75', 'vis/AR10'))
    stage = (f' (pretraining stage {stage_s / 60:.1f} min included)'
             if stage_s else '')
    where = (f'{procs} data-parallel processes x {threads} thread(s)'
             if procs > 1 else '1 process')
    print(f'\nquickstart: {osp.basename(args.config)}: {iters} '
          f'iterations in {train_s / 60:.1f} min{stage}, {where}; '
          f'toy val: {scores}')
    print(f'quickstart: results.json zip (validated): {zip_path}')
    print(f'quickstart: overlay of video {video}: {gif}')
    print(f'quickstart: checkpoint and logs in {cfg.work_dir}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
