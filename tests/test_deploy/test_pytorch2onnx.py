"""``tools/deployment/pytorch2onnx.py``: exports, checks, fails clearly."""
import importlib.util

import pytest


@pytest.fixture(scope='module')
def tool(repo_root):
    spec = importlib.util.spec_from_file_location(
        'pytorch2onnx', repo_root / 'tools/deployment/pytorch2onnx.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_exports_and_prints_the_difference(tool, levitpose_t_config,
                                           levitpose_t_checkpoint, tmp_path,
                                           capsys):
    out = tmp_path / 'levitpose-t.onnx'
    rc = tool.main([
        levitpose_t_config, levitpose_t_checkpoint, '--output-file',
        str(out)
    ])
    printed = capsys.readouterr().out
    assert rc == 0 and out.is_file()
    assert 'heatmap difference at batch 1' in printed
    assert 'heatmap difference at batch 2' in printed
    assert 'parity check passed' in printed


@pytest.mark.parametrize('args, message', [
    (['missing.py'], "config not found: 'missing.py'"),
    (['{config}', 'missing.pth'], 'checkpoint not found: missing.pth'),
    (['{config}', '--opset', '16'], '--opset must be >= 17'),
])
def test_user_errors_give_one_line_and_exit_2(tool, levitpose_t_config,
                                              tmp_path, capsys, args, message):
    args = [a.format(config=levitpose_t_config) for a in args]
    rc = tool.main(args + ['--output-file', str(tmp_path / 'x.onnx')])
    err = capsys.readouterr().err.strip()
    assert rc == 2
    assert err.startswith('error:') and message in err
    assert '\n' not in err
