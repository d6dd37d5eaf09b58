"""tools/benchmarks/run_all.py: discovery order, skipping, failure status."""
from vostoolkit.testing import load_tool


def _load():
    return load_tool('tools/benchmarks/run_all.py')


def test_runs_core_first_then_plugins_and_reports_failures(
        tmp_path, monkeypatch, capsys):
    tool = _load()
    (tmp_path / 'zz_plugin.py').write_text(
        "open(__file__ + '.ran', 'w').write('1')\n")
    (tmp_path / 'eval_bench.py').write_text('raise SystemExit(3)\n')
    (tmp_path / 'a_plugin.py').write_text('print("hello")\n')
    (tmp_path / '_helper.py').write_text('raise SystemExit(9)\n')
    monkeypatch.setattr(tool, 'HERE', str(tmp_path))
    assert tool.discover() == ['eval_bench.py', 'a_plugin.py', 'zz_plugin.py']
    assert tool.main([]) == 1
    out = capsys.readouterr()
    assert 'data_loading.py: not present, skipped' in out.out
    assert 'eval_bench.py: FAILED (exit 3)' in out.out
    assert 'a_plugin.py: ok' in out.out
    assert (tmp_path / 'zz_plugin.py.ran').exists()
    assert tool.main(['--only', 'a_plugin']) == 0
    assert tool.main(['--only', 'missing']) == 2
