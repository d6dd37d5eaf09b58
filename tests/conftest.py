"""Session fixtures: tiny toy datasets generated once per test session.

``toy_davis_root``, ``toy_ytvos_root``, ``toy_ytvis_root`` (and
``toy_ovis_root``) are dataset roots (str) in a session tmp dir, written by
:func:`vostoolkit.datasets.toy.generate_toy_dataset`:

* DAVIS: ``train`` 3, ``val`` 2, ``test-dev`` 1 sequences;
* YouTube-VOS: ``train`` 3, ``valid`` 2 videos (+ ``valid_all_frames``);
* YouTube-VIS / OVIS: ``train`` 3, ``valid`` 2 videos (val JSON annotated);

each video 6 frames of 48x64 pixels, seed 0. Treat them as read-only: they
are shared by every test of the session. ``toy_data(fmt)`` returns
``(root, ground_truth)`` (ground truth: split -> list of ``ToyVideoGT``).
"""
import pytest
import torch

# One intra-op thread: the suite runs on 2 cores, and some tests start
# several processes; oversubscribed threads made steps 10-20x slower.
torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def one_torch_thread():
    """Every test starts on one intra-op thread (whatever an earlier test
    set) and the previous setting comes back after it."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)

TOY_SPEC = dict(videos=3, val_videos=2, frames=6, size=(48, 64), seed=0)
_FORMATS = {'davis': 'davis', 'ytvos': 'youtube-vos', 'ytvis': 'youtube-vis',
            'ovis': 'ovis'}


@pytest.fixture(scope='session')
def toy_data(tmp_path_factory):
    """Factory: ``toy_data(fmt)`` -> (root, ground truth), cached."""
    from vostoolkit.datasets.toy import generate_toy_dataset
    cache = {}

    def get(fmt: str):
        fmt = _FORMATS.get(fmt, fmt)
        if fmt not in cache:
            root = tmp_path_factory.mktemp(f'toy_{fmt}')
            extra = dict(test_videos=1) if fmt == 'davis' else {}
            gt = generate_toy_dataset(str(root), fmt, return_gt=True,
                                      **TOY_SPEC, **extra)
            cache[fmt] = (str(root), gt)
        return cache[fmt]

    return get


@pytest.fixture(scope='session')
def toy_davis_root(toy_data) -> str:
    return toy_data('davis')[0]


@pytest.fixture(scope='session')
def toy_ytvos_root(toy_data) -> str:
    return toy_data('youtube-vos')[0]


@pytest.fixture(scope='session')
def toy_ytvis_root(toy_data) -> str:
    return toy_data('youtube-vis')[0]


@pytest.fixture(scope='session')
def toy_ovis_root(toy_data) -> str:
    return toy_data('ovis')[0]
