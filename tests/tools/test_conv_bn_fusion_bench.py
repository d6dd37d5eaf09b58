"""tools/benchmarks/conv_bn_fusion.py: the plain, fused and Winograd paths
timed and compared on small sizes."""
from vostoolkit.testing import load_tool


def test_quick_run_reports_all_paths_and_small_differences(capsys):
    tool = load_tool('tools/benchmarks/conv_bn_fusion.py')
    rows = [tool.bench(name, run, 1) for name, run in tool.cases(True)]
    assert len(rows) == 4
    for row in rows:
        assert row['plain_s'] > 0 and row['direct_s'] > 0
        assert row['winograd_s'] > 0
        assert row['max_rel_diff'] < 1e-5
        assert row['direct_max_rel_diff'] < 1e-5
    # the 256-channel convolution runs by Winograd: not the direct numbers
    assert rows[0]['max_rel_diff'] != rows[0]['direct_max_rel_diff']
    assert tool.main(['--quick', '--repeats', '1']) == 0
    assert 'Winograd' in capsys.readouterr().out
