"""FaSTGAN inference speed at 512 x 512 (``make bench``).

    python tools/benchmarks/fastgan_speed.py [options of
        plugins.fastgan.benchmark, e.g. --frames 8 --device cpu]

Prints the frames/s of the FaSTGAN test model (ResNet-50 regressor, no
critics, one object, frame by frame with its state) on CPU and, when one is
visible, on a GPU. The default run is short: 3 timed frames after 1 warm-up
frame on CPU (a frame takes seconds there), 50 after 10 on a GPU; any option
given on the command line overrides these.
"""
import os.path as osp
import sys

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from plugins.fastgan.benchmark import main  # noqa: E402

SHORT = ['--size', '512', '--frames', '3', '--warmup', '1']

if __name__ == '__main__':
    # argparse keeps the last value of an option: user options win
    sys.exit(main(SHORT + sys.argv[1:]))
