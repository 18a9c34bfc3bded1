"""``tools/deployment/pytorch2onnx.py``: exports, checks, fails clearly."""
from pathlib import Path

import pytest

OTHER_CONFIG = ('configs/body_2d_keypoint/topdown_heatmap/mpii/'
                'td-hm_levitpose-s_8xb64-210e_mpii-256x256.py')

TOOL = 'tools/deployment/pytorch2onnx.py'


def test_exports_and_prints_the_difference(levitpose_t_onnx):
    """``pytorch2onnx_once`` ran the tool (it asserts the exit status 0)."""
    out, printed = levitpose_t_onnx
    assert Path(out).is_file()
    assert 'heatmap difference at batch 1' in printed
    assert 'heatmap difference at batch 2' in printed
    assert 'parity check passed' in printed


@pytest.mark.parametrize('args, code, message', [
    (['missing.py'], 1, 'config missing.py does not exist'),
    (['{config}', 'missing.pth'], 1, 'checkpoint missing.pth does not exist'),
    (['{config}', '--opset', '16'], 2, '--opset must be >= 17'),
])
def test_user_errors_give_one_line(run_main, levitpose_t_config, tmp_path,
                                   args, code, message):
    args = [a.format(config=levitpose_t_config) for a in args]
    result = run_main(TOOL, *args, '--output-file', tmp_path / 'x.onnx')
    err = result.stderr.strip()
    assert result.returncode == code
    assert err.startswith('error:') and message in err
    assert '\n' not in err


def test_checkpoint_of_another_model_is_refused(run_main, levitpose_t_config,
                                                repo_root, tmp_path):
    """No "parity check passed" for a half-random model any more."""
    import torch

    from levitpose.apis import init_pose_model
    other = init_pose_model(str(repo_root / OTHER_CONFIG))
    checkpoint = str(tmp_path / 'levitpose-s.pth')
    torch.save(dict(state_dict=other.state_dict()), checkpoint)
    out = tmp_path / 'x.onnx'
    result = run_main(TOOL, levitpose_t_config, checkpoint, '--output-file',
                      out)
    assert result.returncode == 1 and not out.exists()
    assert result.stderr.startswith(f'error: checkpoint {checkpoint} does '
                                    'not fit config')
    assert 'parity check passed' not in result.stdout
