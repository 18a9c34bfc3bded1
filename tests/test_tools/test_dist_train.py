"""Two processes on CPU (gloo) train one epoch through torchrun."""
import pytest
from tool_runner import QUICKSTART, SHORT_TRAINING, run_tool

pytestmark = pytest.mark.slow


def test_two_process_gloo_training_saves_a_checkpoint(tmp_path, venv_bin):
    work_dir = tmp_path / 'dist'
    result = run_tool([
        'bash', 'tools/dist_train.sh', QUICKSTART, '2', '--work-dir',
        str(work_dir), '--cfg-options', *SHORT_TRAINING,
        'train_cfg.max_epochs=1', 'train_cfg.val_interval=10',
        'default_hooks.checkpoint.interval=1'
    ],
                      timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    logs = ''.join(p.read_text() for p in work_dir.rglob('*.log'))
    assert "dist_cfg: {'backend': 'gloo'}" in logs, logs[:3000]
    assert 'Distributed training: True' in logs
    assert 'GPU number: 2' in logs  # MMEngine's name for the world size
    assert (work_dir / 'epoch_1.pth').is_file()
