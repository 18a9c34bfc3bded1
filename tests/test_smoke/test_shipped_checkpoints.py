"""The checkpoints the repository ships are the ones it says it ships."""
import hashlib

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmpose.registry import MODELS

from levitpose.utils import load_weights_strictly


def _sums(repo_root):
    lines = (repo_root / 'checkpoints' / 'SHA256SUMS').read_text().splitlines()
    return dict(reversed(line.split(maxsplit=1)) for line in lines if line)


def test_every_shipped_checkpoint_is_listed(repo_root):
    shipped = {p.name for p in (repo_root / 'checkpoints').glob('*.pth')}
    assert shipped and shipped == set(_sums(repo_root))


@pytest.mark.parametrize('name', ['levitpose-t_sample-coco-256x256.pth'])
def test_checksum_matches(repo_root, name):
    digest = hashlib.sha256(
        (repo_root / 'checkpoints' / name).read_bytes()).hexdigest()
    assert digest == _sums(repo_root)[name], (
        f'checkpoints/{name} changed; restore it with git checkout')


def test_quickstart_checkpoint_fits_its_config_and_is_plain(repo_root):
    ckpt = torch.load(
        repo_root / 'checkpoints' / 'levitpose-t_sample-coco-256x256.pth',
        map_location='cpu',
        weights_only=True)
    assert set(ckpt) <= {'state_dict', 'meta'}
    cfg = Config.fromfile(
        repo_root / 'configs/quickstart/levitpose-t_sample-coco-256x256.py')
    init_default_scope('mmpose')
    model = MODELS.build(cfg.model)
    load_weights_strictly(
        model,
        str(repo_root / 'checkpoints' / 'levitpose-t_sample-coco-256x256.pth'))
