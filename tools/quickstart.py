"""``make quickstart``: the toy NOVIS recipe, end to end, with the standard
tools. Each step is the command a user would type, printed before it runs:

1. ``tools/train.py configs/pretrain/pretrain_r18_toy-ytvis.py``: the
   backbone's frame-level pretraining stage (it writes ``backbone.pth``);
2. ``tools/train.py configs/novis/novis_r18_toy-ytvis.py``: NOVIS, starting
   from that backbone;
3. ``tools/test.py ... --submit results.zip``: near-online inference on the
   toy val split, written as the server's zip;
4. ``tools/validate_submission.py`` and ``tools/eval.py youtube-vis``: the
   zip checked and scored with the official YouTube-VIS AP;
5. ``tools/demo.py``: an overlay video of one val video (``overlay.mp4``).

    python tools/quickstart.py [--work-dir work_dirs/quickstart]
        [--cfg-options key=value ...]

``--cfg-options`` go to every step (so they must make sense for both
configs: ``data_root=DIR``, ``toy_spec.*``, ``train_cfg.max_iters=N``,
``randomness.seed=S``). The toy data is generated on first use.
"""
import argparse
import glob
import json
import os.path as osp
import subprocess
import sys
import time

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
STAGE1 = 'configs/pretrain/pretrain_r18_toy-ytvis.py'
NOVIS = 'configs/novis/novis_r18_toy-ytvis.py'


def run(*args: str) -> None:
    """Run ``python ARGS`` from the repository root, echoing the command;
    a failing step stops the quickstart with its exit status."""
    cmd = [sys.executable, *args]
    print('\n$ python ' + ' '.join(args), flush=True)
    start = time.monotonic()
    code = subprocess.call(cmd, cwd=ROOT)
    if code:
        print(f'quickstart: error: step failed (exit {code}): '
              f'python {" ".join(args)}', file=sys.stderr)
        raise SystemExit(code)
    print(f'[{(time.monotonic() - start) / 60:.1f} min]', flush=True)


def main(argv=None) -> int:
    from vostoolkit.utils.cli import run_tool
    return run_tool(_main, argv, 'quickstart.py')


def _main(argv) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--work-dir', default='work_dirs/quickstart')
    parser.add_argument('--cfg-options', nargs='+', default=[],
                        metavar='KEY=VALUE')
    args = parser.parse_args(argv)
    sys.path.insert(0, ROOT)
    from vostoolkit.apis import load_config

    start = time.monotonic()
    work = osp.abspath(args.work_dir)
    opts = ['--cfg-options', *args.cfg_options] if args.cfg_options else []
    cfg = load_config(osp.join(ROOT, NOVIS), args.cfg_options)
    stage_dir, novis_dir = osp.join(work, 'pretrain'), osp.join(work, 'novis')
    backbone = osp.join(stage_dir, 'backbone.pth')
    ckpt = osp.join(novis_dir, f'iter_{cfg.train_cfg.max_iters}.pth')
    results, scores = osp.join(work, 'results.zip'), osp.join(work, 'ap.json')
    dataset = cfg.test_dataloader.dataset
    ann_file = cfg.test_evaluator.ann_file

    run('tools/train.py', STAGE1, '--work-dir', stage_dir, *opts)
    run('tools/train.py', NOVIS, '--work-dir', novis_dir, '--cfg-options',
        f'model.backbone.init_cfg.checkpoint={backbone}', *args.cfg_options)
    run('tools/test.py', NOVIS, ckpt, '--work-dir', novis_dir,
        '--submit', results, *opts)
    run('tools/validate_submission.py', 'youtube-vis', results,
        '--gt', ann_file)
    run('tools/eval.py', 'youtube-vis', '--gt', ann_file, '--pred', results,
        '--json', scores)
    videos = sorted(glob.glob(osp.join(ROOT, dataset.data_root,
                                       dataset.data_prefix.img, '*')))
    run('tools/demo.py', NOVIS, ckpt, '--input', videos[0], '--out',
        osp.join(work, 'demo'), *opts)
    with open(scores) as f:
        stats = json.load(f)
    print(f'\nquickstart: {(time.monotonic() - start) / 60:.1f} min; toy val '
          f'AP {stats["AP"]:.3f} (AP50 {stats["AP50"]:.3f}, AP75 '
          f'{stats["AP75"]:.3f}); submission {results}; overlay video of '
          f'{osp.basename(videos[0])}: {osp.join(work, "demo", "overlay.mp4")}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
