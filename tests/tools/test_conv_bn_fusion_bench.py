"""tools/benchmarks/conv_bn_fusion.py: the plain and fused paths timed and
compared on small sizes."""
from vostoolkit.testing import load_tool


def test_quick_run_reports_both_paths_and_small_differences(capsys):
    tool = load_tool('tools/benchmarks/conv_bn_fusion.py')
    rows = [tool.bench(name, run, 1) for name, run in tool.cases(True)]
    assert len(rows) == 3
    for row in rows:
        assert row['plain_s'] > 0 and row['fused_s'] > 0
        assert row['max_rel_diff'] < 1e-5
    assert tool.main(['--quick', '--repeats', '1']) == 0
    assert 'fused' in capsys.readouterr().out
