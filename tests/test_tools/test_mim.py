"""``mim train mmpose`` and ``mim test mmpose -C`` run the quickstart."""
import json

import pytest
from tool_runner import QUICKSTART, SHORT_TRAINING, run_tool

pytestmark = pytest.mark.slow


def test_mim_train_then_mim_test(tmp_path, venv_bin):
    mim = str(venv_bin / 'mim')
    work_dir = tmp_path / 'mim'
    trained = run_tool([
        mim, 'train', 'mmpose', QUICKSTART, '--work-dir',
        str(work_dir), '--cfg-options', *SHORT_TRAINING,
        'train_cfg.max_epochs=1', 'default_hooks.checkpoint.interval=1'
    ])
    assert trained.returncode == 0, trained.stderr[-3000:]
    checkpoint = work_dir / 'epoch_1.pth'
    assert checkpoint.is_file()

    metrics_file = tmp_path / 'metrics.json'
    tested = run_tool([
        mim, 'test', 'mmpose', QUICKSTART, '-C',
        str(checkpoint), '--work-dir',
        str(tmp_path / 'mim_test'), '--out',
        str(metrics_file)
    ])
    assert tested.returncode == 0, tested.stderr[-3000:]
    metrics = json.loads(metrics_file.read_text())
    assert 0.0 <= metrics['coco/AP'] <= 1.0
    assert set(metrics) >= {'coco/AP', 'coco/AR'}
