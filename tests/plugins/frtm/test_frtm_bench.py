"""``tools/benchmarks/frtm_speed.py`` runs end to end on tiny settings."""
import json

from vostoolkit.testing import load_tool


def _bench():
    return load_tool('tools/benchmarks/frtm_speed.py')


def test_speed_rows_and_memory_worker(tmp_path, capsys):
    bench = _bench()
    out = tmp_path / 'bench.json'
    # 9 frames: frames 1-8 enter the memory, the 8th triggers an update
    assert bench.main(['--frames', '9', '--depths', '18', '--objects', '2',
                       '--size', '48', '64', '--devices', 'cpu',
                       '--no-memory', '--json', str(out)]) == 0
    rows = json.loads(out.read_text())['speed']
    assert len(rows) == 1 and rows[0]['objects'] == 2
    assert rows[0]['fps_all'] > 0 and rows[0]['frames'] == 9
    # the speed runs include the target-model updates although random
    # weights predict empty masks: one per object, read from their state
    assert rows[0]['updates_per_object'] == [1, 1]
    assert rows[0]['updates'] == 2
    assert rows[0]['first_frame_cpu_s'] > 0
    assert rows[0]['cpu_s_per_frame_after_first'] > 0
    printed = capsys.readouterr().out
    assert 'frames/s' in printed and 'updates=2' in printed
    # every frame after the first enters the memory (M0: 5 samples)
    row = bench.memory_worker(4, (48, 64), 'cpu', 18)
    assert row['memory_samples'] == 5 + 3
    assert row['peak_rss_mb'] > 0
