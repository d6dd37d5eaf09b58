"""The NOVIS inference benchmark (``tools/benchmarks/novis_inference.py``
calls ``plugins.novis.benchmark``): tiny in-process runs."""
import pytest

from plugins.novis.benchmark import STAGES, main, run_clip, run_one


@pytest.mark.parametrize('frames', [5])
def test_run_one_streams_every_frame(frames):
    r = run_one('toy', frames, short_edge=32, chunk=2, device='cpu')
    assert r['frames'] == frames and r['size'] == '32x57'
    assert r['fps'] > 0 and r['peak_rss_mb'] >= r['rss_before_video_mb'] > 0
    assert r['cuda_peak_mb'] is None
    # every stage ran after the first chunk, and the stages add up to the
    # timed part of the run
    assert set(r['stages']) == {*STAGES, 'tracking_post'}
    assert all(v > 0 for v in r['stages'].values())
    timed = (r['frames'] - 2) / r['fps']
    assert sum(r['stages'].values()) == pytest.approx(timed)


def test_clip_mode_times_before_and_now(capsys):
    r = run_clip('toy', short_edge=32, device='cpu', impl='gather',
                 repeats=1)
    assert r['size'] == '32x64' and set(r['medians']) == {'before', 'now'}
    for med in r['medians'].values():
        assert med['total'] >= sum(med[s] for s in STAGES) > 0
    assert main(['--model', 'toy', '--short-edge', '32',
                 '--clip-repeats', '1']) == 0
    out = capsys.readouterr().out
    assert 'before (plain attention' in out
    assert 'now (attention auto' in out
