"""NonFiniteLossHook stops training at the first NaN/Inf loss, before the
broken state is saved."""
import math
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from mmengine.logging import MessageHub, MMLogger
from mmengine.runner import Runner
from mmpose.models.losses import KeypointMSELoss
from mmpose.registry import MODELS
from tiny_runner import tiny_runner

from levitpose.engine.hooks import NonFiniteLossError, NonFiniteLossHook
from levitpose.utils.checkpoint import safe_load_checkpoint

NAN_AT_CALL = 5  # 3 iterations per epoch: the NaN comes in epoch 2


@MODELS.register_module(force=True)
class NaNAtCallLoss(KeypointMSELoss):
    """MSE loss that returns NaN from its ``nan_at``-th call on (test only)."""

    def __init__(self, nan_at: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.nan_at, self.calls = nan_at, 0

    def forward(self, *args, **kwargs):
        self.calls += 1
        loss = super().forward(*args, **kwargs)
        return loss * math.nan if self.calls >= self.nan_at else loss


def build_runner(work_dir: Path, **options) -> Runner:
    return tiny_runner(
        work_dir,
        'nan',
        **{
            # save after every iteration: the NaN state must not be among them
            'default_hooks.checkpoint.by_epoch': False,
            'default_hooks.checkpoint.interval': 1,
            **options
        })


@pytest.fixture(scope='module')
def nan_run(tmp_path_factory):
    work_dir = tmp_path_factory.mktemp('nan_run')
    runner = build_runner(
        work_dir, **{
            'model.head.loss':
            dict(
                type='NaNAtCallLoss',
                nan_at=NAN_AT_CALL,
                use_target_weight=True)
        })
    with pytest.raises(NonFiniteLossError) as info:
        runner.train()
    return work_dir, str(info.value)


def test_message_names_iteration_and_loss_key(nan_run):
    _, message = nan_run
    assert f'iteration {NAN_AT_CALL} ' in message
    assert 'epoch 2' in message
    assert 'loss_kpt=nan' in message


def test_broken_iteration_is_not_saved(nan_run):
    work_dir, _ = nan_run
    saved = sorted(p.name for p in work_dir.glob('iter_*.pth'))
    assert saved == [f'iter_{i}.pth' for i in range(1, NAN_AT_CALL)]


def test_last_checkpoint_is_the_last_good_one(nan_run):
    work_dir, message = nan_run
    last = work_dir / f'iter_{NAN_AT_CALL - 1}.pth'
    assert (work_dir / 'last_checkpoint').read_text() == str(last)
    assert str(last) in message
    state = safe_load_checkpoint(str(last))['state_dict']
    assert all(torch.isfinite(v).all() for v in state.values())


def test_exploding_learning_rate_stops_the_run(tmp_path):
    runner = build_runner(
        tmp_path, **{
            'optim_wrapper.optimizer': dict(type='SGD', lr=1e12, momentum=0.9),
            'train_cfg.max_epochs': 20,
        })
    with pytest.raises(NonFiniteLossError, match=r'iteration \d+ \(epoch'):
        runner.train()
    for path in tmp_path.glob('iter_*.pth'):
        state = safe_load_checkpoint(str(path))['state_dict']
        assert all(torch.isfinite(v).all() for v in state.values())


def fake_runner():
    MMLogger.get_instance('nan_hook_unit')
    hub = MessageHub.get_instance('nan_hook_unit')
    return SimpleNamespace(
        iter=6,
        epoch=1,
        message_hub=hub,
        logger=MMLogger.get_instance('nan_hook_unit'))


def test_finite_losses_pass():
    outputs = dict(loss=torch.tensor(0.5), loss_kpt=torch.tensor(0.5))
    NonFiniteLossHook().after_train_iter(fake_runner(), 0, None, outputs)


@pytest.mark.parametrize('value', [math.inf, -math.inf, math.nan])
def test_non_finite_loss_raises(value):
    outputs = dict(loss=torch.tensor(value), acc_pose=torch.tensor(0.1))
    with pytest.raises(NonFiniteLossError, match='iteration 7 .*loss='):
        NonFiniteLossHook().after_train_iter(fake_runner(), 3, None, outputs)


def test_non_loss_keys_are_ignored():
    outputs = dict(loss=torch.tensor(0.5), acc_pose=torch.tensor(math.nan))
    NonFiniteLossHook().after_train_iter(fake_runner(), 0, None, outputs)


def test_bad_loss_key_raises():
    with pytest.raises(ValueError, match='loss_key'):
        NonFiniteLossHook(loss_key='')
