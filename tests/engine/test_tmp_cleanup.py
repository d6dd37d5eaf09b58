"""What killed runs leave behind is removed by the next run, and
checkpoints are written with the user's umask (not mkstemp's 0600)."""
import os
import subprocess
import sys
import zipfile

import numpy as np
import pytest
import torch

from vostoolkit.engine.checkpoint import save_checkpoint_atomic
from vostoolkit.evaluation import write_davis_submission
from vostoolkit.utils.tmpfiles import pid_alive, remove_stale, tmp_name


@pytest.fixture(scope='module')
def dead_pid():
    """The id of a process that has exited."""
    proc = subprocess.Popen([sys.executable, '-c', 'pass'])
    proc.wait()
    assert not pid_alive(proc.pid)
    return proc.pid


@pytest.fixture
def umask_002():
    old = os.umask(0o002)
    yield
    os.umask(old)


def test_checkpoint_mode_follows_umask_and_stale_tmps_go(tmp_path, dead_pid,
                                                         umask_002):
    stale = [tmp_path / f'.iter_4.pth.{dead_pid}.tmp',
             tmp_path / '.iter_2.pth.k3j_x9ab.tmp']  # older mkstemp names
    live = tmp_path / f'.iter_6.pth.{os.getpid()}.tmp'
    other = tmp_path / '.notes.tmp'
    for path in stale + [live, other]:
        path.write_bytes(b'partial')
    save_checkpoint_atomic(dict(state_dict={'w': torch.ones(2)}),
                           str(tmp_path / 'iter_8.pth'))
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ['iter_8.pth', live.name, other.name])
    assert (tmp_path / 'iter_8.pth').stat().st_mode & 0o777 == 0o664
    loaded = torch.load(tmp_path / 'iter_8.pth', weights_only=False)
    assert torch.equal(loaded['state_dict']['w'], torch.ones(2))


def test_stale_submission_tmp_zip_removed(tmp_path, dead_pid, umask_002):
    out = tmp_path / 'sub.zip'
    stale = tmp_name(str(out), dead_pid)
    with open(stale, 'wb') as f:
        f.write(b'PK half a zip')
    mine = tmp_name(str(out))  # this live process's name is never touched
    assert remove_stale(str(out)) == [stale]
    assert not os.path.exists(mine)
    masks = np.zeros((2, 4, 6), np.uint8)
    write_davis_submission(str(out), [('seq', ['00000', '00001'], masks)])
    assert sorted(os.listdir(tmp_path)) == ['sub.zip']
    assert out.stat().st_mode & 0o777 == 0o664
    with zipfile.ZipFile(out) as zf:
        assert zf.namelist() == ['seq/00000.png', 'seq/00001.png']


def test_stale_parts_folder_removed_by_next_submission(tmp_path):
    """``OUT.zip.parts/`` of a killed ``test.py --submit`` run: its frames
    do not reach the next run's zip, and the folder is gone after it."""
    from vostoolkit.evaluation import DAVISSubmission
    out = tmp_path / 'out.zip'
    parts = tmp_path / 'out.zip.parts' / 'old_video'
    parts.mkdir(parents=True)
    (parts / '00000.png').write_bytes(b'stale')
    metric = DAVISSubmission(out_file=str(out))
    assert not (tmp_path / 'out.zip.parts').exists()
    sample = dict(video_name='new', frame_names=['00000'],
                  pred_obj_masks=torch.zeros(1, 4, 6, dtype=torch.uint8))
    metric.process({}, [sample])
    metric.compute_metrics(metric.results)
    with zipfile.ZipFile(out) as zf:
        assert zf.namelist() == ['new/00000.png']
    assert sorted(os.listdir(tmp_path)) == ['out.zip']
