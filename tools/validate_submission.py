#!/usr/bin/env python
"""Check a submission zip before uploading it.

    python tools/validate_submission.py davis OUT.zip --gt data/DAVIS \
        [--year 2017] [--split val] [--resolution 480p]
    python tools/validate_submission.py youtube-vos OUT.zip \
        --gt data/youtube_vos/valid
    python tools/validate_submission.py youtube-vis OUT.zip \
        --gt data/youtube_vis_2019/valid.json
    python tools/validate_submission.py lvos OUT.zip --gt data/lvos_v2/valid
    python tools/validate_submission.py sav OUT.zip --gt data/sav/sav_val

    python tools/validate_submission.py mose OUT.zip --gt data/mose/valid
    python tools/validate_submission.py mosev2 OUT.zip --gt data/mose_v2/valid
    python tools/validate_submission.py vost OUT.zip --gt data/vost \
        [--split val]

Prints one line per problem and exits with status 1 if there is any,
0 (and "OK") otherwise. A zip or ground truth that is not there, or a bad
option, is one error line and status 2 (``--debug``: the traceback).
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from vostoolkit.evaluation import (validate_davis_zip,  # noqa: E402
                                   validate_vis_zip, validate_ytvos_zip)
from vostoolkit.utils import DataError  # noqa: E402
from vostoolkit.utils.cli import EXIT_PROBLEMS, run_tool  # noqa: E402
from vostoolkit.evaluation import validate_lvos_zip  # noqa: E402
from vostoolkit.evaluation import validate_sav_zip  # noqa: E402
from vostoolkit.evaluation import (validate_mose_zip,  # noqa: E402
                                   validate_vost_zip)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('benchmark',
                        choices=['davis', 'youtube-vos', 'youtube-vis',
                                 'lvos', 'sav', 'mose', 'mosev2', 'vost'])
    parser.add_argument('zip', help='the submission zip')
    parser.add_argument('--gt', required=True,
                        help='DAVIS root | YouTube-VOS split folder (or '
                        'root) | YouTube-VIS annotation JSON')
    parser.add_argument('--year', default='2017', help='DAVIS year')
    parser.add_argument('--split', default=None,
                        help='DAVIS ImageSets split (val) or YouTube-VOS '
                        'split folder under a root (valid)')
    parser.add_argument('--resolution', default='480p', help='DAVIS')
    return parser.parse_args(argv)


def _main(argv) -> int:
    args = parse_args(argv)
    if not osp.isfile(args.zip):
        raise DataError(args.zip, 'submission zip not found')
    if not osp.exists(args.gt):
        raise DataError(args.gt, 'ground truth (--gt) not found')
    if args.benchmark == 'davis':
        problems = validate_davis_zip(args.zip, args.gt, year=args.year,
                                      split=args.split or 'val',
                                      resolution=args.resolution)
    elif args.benchmark == 'youtube-vos':
        problems = validate_ytvos_zip(args.zip, args.gt,
                                      split=args.split or 'valid')
    elif args.benchmark == 'lvos':
        problems = validate_lvos_zip(args.zip, args.gt,
                                     split=args.split or 'valid')
    elif args.benchmark == 'sav':
        problems = validate_sav_zip(args.zip, args.gt,
                                    split=args.split or 'val')
    elif args.benchmark in ('mose', 'mosev2'):
        problems = validate_mose_zip(
            args.zip, args.gt, split=args.split or 'valid',
            version=2 if args.benchmark == 'mosev2' else 1)
    elif args.benchmark == 'vost':
        problems = validate_vost_zip(args.zip, args.gt,
                                     split=args.split or 'val')
    else:
        problems = validate_vis_zip(args.zip, args.gt)
    for line in problems:
        print(line)
    if problems:
        print(f'{len(problems)} problem(s) in {args.zip}', file=sys.stderr)
        return EXIT_PROBLEMS
    print(f'OK: {args.zip}')
    return 0


def main(argv=None) -> int:
    """0: valid; 1: problems (one line each); 2: the check could not run
    (one error line); see :mod:`vostoolkit.utils.cli`."""
    return run_tool(_main, argv, 'validate_submission.py')


if __name__ == '__main__':
    sys.exit(main())
