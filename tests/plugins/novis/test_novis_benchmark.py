"""The NOVIS inference benchmark (``tools/benchmarks/novis_inference.py``
calls ``plugins.novis.benchmark``): one tiny in-process run."""
import pytest

from plugins.novis.benchmark import run_one


@pytest.mark.parametrize('frames', [5])
def test_run_one_streams_every_frame(frames):
    r = run_one('toy', frames, short_edge=32, chunk=2, device='cpu')
    assert r['frames'] == frames and r['size'] == '32x57'
    assert r['fps'] > 0 and r['peak_rss_mb'] >= r['rss_before_video_mb'] > 0
    assert r['cuda_peak_mb'] is None
