"""``tools/train.py --resume`` continues a run bit for bit (CPU).

A run stopped after epoch 2 and resumed to epoch 4 must end with exactly
the weights of a run that trained 4 epochs without stopping: same seed,
``randomness.deterministic=True``, validation between epochs included.
"""
from pathlib import Path

import pytest
import torch
from tool_runner import QUICKSTART, SHORT_TRAINING, python_tool

from levitpose.utils import safe_load_checkpoint

pytestmark = pytest.mark.slow

RUN = SHORT_TRAINING + [
    'randomness.seed=7', 'randomness.deterministic=True',
    'train_cfg.val_interval=2', 'default_hooks.checkpoint.interval=2',
    'default_hooks.checkpoint.max_keep_ckpts=3'
]


def _train(work_dir: Path, epochs: int, *extra: str) -> None:
    result = python_tool('tools/train.py', QUICKSTART, '--work-dir',
                         str(work_dir), *extra, '--cfg-options', *RUN,
                         f'train_cfg.max_epochs={epochs}')
    assert result.returncode == 0, result.stderr[-3000:]


def _weights(path: Path) -> dict:
    return safe_load_checkpoint(str(path))['state_dict']


def _max_abs_diff(a: dict, b: dict) -> float:
    assert a.keys() == b.keys()
    return max((a[k].double() - b[k].double()).abs().max().item() for k in a
               if a[k].numel())


@pytest.fixture(scope='module')
def runs(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp('resume')
    _train(root / 'straight', 4)
    _train(root / 'stopped', 2)
    return dict(
        root=root, straight=root / 'straight', stopped=root / 'stopped')


def test_resumed_run_ends_with_identical_weights(runs):
    _train(runs['stopped'], 4, '--resume')  # auto: latest in work dir
    diff = _max_abs_diff(
        _weights(runs['straight'] / 'epoch_4.pth'),
        _weights(runs['stopped'] / 'epoch_4.pth'))
    assert diff == 0.0


def test_resume_without_rng_state_diverges(runs):
    """The test above can fail: dropping the saved RNG state changes the
    weights, so the hook is what makes the resume exact."""
    checkpoint = safe_load_checkpoint(str(runs['stopped'] / 'epoch_2.pth'))
    checkpoint.pop('rng_state')
    bare = runs['root'] / 'bare'
    bare.mkdir()
    torch.save(checkpoint, bare / 'epoch_2.pth')
    _train(bare, 4, '--resume', str(bare / 'epoch_2.pth'))
    diff = _max_abs_diff(
        _weights(runs['straight'] / 'epoch_4.pth'),
        _weights(bare / 'epoch_4.pth'))
    assert diff > 0.0
