"""tools/benchmarks/deform_attn.py: one tiny case, every implementation
timed and compared with the plain one."""
import torch

from vostoolkit.testing import load_tool


def test_bench_case_times_both_modes_and_reports_differences(monkeypatch,
                                                              capsys):
    tool = load_tool('tools/benchmarks/deform_attn.py')
    case = ('tiny', 2, [(4, 6), (2, 3)], 2, 4, 2)
    rows = tool.bench_case(case, ['plain', 'gather'], 1, torch.device('cpu'))
    assert [r[1] for r in rows] == ['inference', 'training']
    for _, _, med, diff in rows:
        assert med['plain'] > 0 and med['gather'] > 0
        assert diff['plain'] == 0 and diff['gather'] < 1e-5
    monkeypatch.setattr(tool, 'CASES', [case, case])
    assert tool.main(['--quick']) == 0
    out = capsys.readouterr().out
    assert 'gather x' in out and out.count('tiny') == 2
