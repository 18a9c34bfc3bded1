"""Every shipped config gets the reliability features through its type
names: validated datasets, the crash-safe checkpoint hook and the NaN/Inf
loss hook (a child config that redefines ``custom_hooks`` would drop it)."""
from pathlib import Path

import pytest
from mmengine.config import Config

REPO = Path(__file__).resolve().parents[2]
CONFIGS = sorted(
    p for p in (REPO / 'configs').rglob('*.py') if '_base_' not in p.parts)
VALIDATED = {
    'CocoDataset': 'ValidatedCocoDataset',
    'MpiiDataset': 'ValidatedMpiiDataset'
}


def config_id(path: Path) -> str:
    return path.stem


@pytest.fixture(scope='module', params=CONFIGS, ids=config_id)
def cfg(request):
    return Config.fromfile(str(request.param))


@pytest.mark.parametrize(
    'loader', ['train_dataloader', 'val_dataloader', 'test_dataloader'])
def test_datasets_are_validated(cfg, loader):
    dataset_type = cfg[loader]['dataset']['type']
    assert dataset_type not in VALIDATED, (
        f'{loader}.dataset.type is {dataset_type}; use '
        f'{VALIDATED[dataset_type]} so bad annotations fail before training')


def test_checkpoint_hook_is_crash_safe(cfg):
    assert cfg.default_hooks.checkpoint.type == 'CrashSafeCheckpointHook'


def test_non_finite_loss_hook_is_on(cfg):
    assert 'NonFiniteLossHook' in [h['type'] for h in cfg.custom_hooks]
