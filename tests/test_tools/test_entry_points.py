"""The entry points a new user tries first, as subprocesses: each refuses a
checkpoint of another model, a config value that does not build, and says
what a ``--resume`` rejected (issue 14's table)."""
import re
from pathlib import Path

import pytest
import torch
from tool_runner import QUICKSTART, SHORT_TRAINING, python_tool, run_tool

from levitpose.utils.atomic_file import checkpoint_problem

pytestmark = pytest.mark.slow

OTHER_CONFIG = ('configs/body_2d_keypoint/topdown_heatmap/coco/'
                'td-hm_levitpose-s_8xb64-210e_coco-256x256.py')


def _one_error_line(proc) -> str:
    assert 'Traceback' not in proc.stderr, proc.stderr[-3000:]
    errors = [ln for ln in proc.stderr.splitlines() if ln.startswith('error')]
    assert len(errors) == 1, proc.stderr[-3000:]
    return errors[0]


@pytest.fixture(scope='module')
def other_checkpoint(repo_root, tmp_path_factory) -> str:
    """A checkpoint of LEViTPose-S, which the quickstart (T) cannot load."""
    from levitpose.apis import init_pose_model
    model = init_pose_model(str(repo_root / OTHER_CONFIG))
    path = tmp_path_factory.mktemp('other') / 'levitpose-s.pth'
    torch.save(dict(state_dict=model.state_dict()), str(path))
    return str(path)


def _assert_refused(proc, checkpoint: str) -> None:
    assert proc.returncode == 1, proc.stderr[-3000:]
    line = _one_error_line(proc)
    assert line.startswith(f'error: checkpoint {checkpoint} does not fit '
                           f'config {QUICKSTART}')
    assert re.search(r'\d+ (missing key|unexpected key|shape mismatch)', line)


def test_test_py_refuses_a_checkpoint_of_another_model(other_checkpoint,
                                                       tmp_path):
    proc = python_tool('tools/test.py', QUICKSTART, other_checkpoint,
                       '--work-dir', str(tmp_path))
    _assert_refused(proc, other_checkpoint)
    assert 'coco/AP' not in proc.stdout  # no metric of a half-random model


def test_train_py_refuses_load_from_of_another_model(other_checkpoint,
                                                     tmp_path):
    proc = python_tool('tools/train.py', QUICKSTART, '--work-dir',
                       str(tmp_path), '--cfg-options', *SHORT_TRAINING,
                       f'load_from={other_checkpoint}')
    _assert_refused(proc, other_checkpoint)
    assert not list(Path(tmp_path).glob('epoch_*.pth'))


def test_mim_test_refuses_a_checkpoint_of_another_model(
        other_checkpoint, tmp_path, venv_bin):
    """MMPose's own tools/test.py: the config's checkpoint hook refuses,
    in one line (no traceback), as our tools/test.py does.

    ``mim`` itself then raises ``CalledProcessError`` for any failing child
    (its own traceback, in the parent process, after the child's line).
    """
    proc = run_tool([
        str(venv_bin / 'mim'), 'test', 'mmpose', QUICKSTART, '-C',
        other_checkpoint, '--work-dir',
        str(tmp_path)
    ])
    assert proc.returncode == 1
    child, _, parent = proc.stderr.partition('Traceback')
    assert parent.rstrip().splitlines()[-1].startswith(
        'subprocess.CalledProcessError'), proc.stderr[-3000:]
    assert 'returned non-zero exit status 1' in parent
    errors = [ln for ln in child.splitlines() if ln.startswith('error')]
    assert len(errors) == 1, child[-3000:]
    assert errors[0].startswith(
        f'error: checkpoint {other_checkpoint} does not fit ')
    assert 'coco/AP' not in proc.stdout


def test_train_py_config_value_that_does_not_build(tmp_path):
    proc = python_tool('tools/train.py', QUICKSTART, '--work-dir',
                       str(tmp_path), '--cfg-options',
                       'model.backbone.arch=huge')
    assert proc.returncode == 1
    line = _one_error_line(proc)
    assert line.startswith('error: cannot build the runner of config ')
    assert 'huge' in line


def test_resume_with_only_a_truncated_checkpoint_warns(repo_root, tmp_path):
    data = (repo_root / 'checkpoints' /
            'levitpose-t_sample-coco-256x256.pth').read_bytes()
    truncated = tmp_path / 'epoch_1.pth'
    truncated.write_bytes(data[:len(data) // 2])
    (tmp_path / 'last_checkpoint').write_text(str(truncated))
    proc = python_tool('tools/train.py', QUICKSTART, '--work-dir',
                       str(tmp_path), '--resume', '--cfg-options',
                       *SHORT_TRAINING, 'train_cfg.max_epochs=1')
    assert proc.returncode == 0, proc.stderr[-3000:]
    log = proc.stdout + proc.stderr
    warning = [
        ln for ln in log.splitlines()
        if 'WARNING' in ln and 'found no usable checkpoint' in ln
    ]
    assert len(warning) == 1, log[-3000:]
    assert f'rejected {truncated}: it is truncated' in warning[0]
    assert checkpoint_problem(str(truncated)) is None  # trained anew
