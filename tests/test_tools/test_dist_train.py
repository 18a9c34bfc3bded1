"""Two processes on CPU (gloo) train, validate and test one epoch through
torchrun (``tools/dist_train.sh``, ``tools/dist_test.sh``)."""
import socket

import pytest
from tool_runner import QUICKSTART, SHORT_TRAINING, run_tool

pytestmark = pytest.mark.slow


def _logs(work_dir) -> str:
    """Every log MMEngine wrote under ``work_dir``, concatenated."""
    return ''.join(p.read_text() for p in work_dir.rglob('*.log'))


def _free_port() -> str:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return str(sock.getsockname()[1])


def test_two_process_gloo_training_and_testing(tmp_path, venv_bin,
                                               monkeypatch):
    monkeypatch.setenv('PORT', _free_port())  # torchrun's rendezvous port
    work_dir = tmp_path / 'dist'
    result = run_tool([
        'bash', 'tools/dist_train.sh', QUICKSTART, '2', '--work-dir',
        str(work_dir), '--cfg-options', *SHORT_TRAINING,
        'train_cfg.max_epochs=1', 'train_cfg.val_interval=1',
        'default_hooks.checkpoint.interval=1'
    ],
                      timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    logs = _logs(work_dir)
    assert "dist_cfg: {'backend': 'gloo'}" in logs, logs[:3000]
    assert 'Distributed training: True' in logs
    assert 'GPU number: 2' in logs  # MMEngine's name for the world size
    assert (work_dir / 'epoch_1.pth').is_file()
    # validation ran across both processes, and both exited cleanly (gloo's
    # group is destroyed before exit, so no abort after the work is done)
    assert 'coco/AP' in logs
    assert 'terminate called' not in result.stderr

    monkeypatch.setenv('PORT', _free_port())
    tested = run_tool([
        'bash', 'tools/dist_test.sh', QUICKSTART,
        str(work_dir / 'epoch_1.pth'), '2', '--work-dir',
        str(tmp_path / 'dist_test')
    ],
                      timeout=600)
    assert tested.returncode == 0, tested.stderr[-3000:]
    test_logs = _logs(tmp_path / 'dist_test')
    assert 'Distributed training: True' in test_logs
    assert 'coco/AP' in test_logs
    assert 'terminate called' not in tested.stderr
