"""The whole MMPose TopdownPoseEstimator of LEViTPose-T: fused = unfused and
checkpoints round-trip through the safe loader."""
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from torch import nn

from levitpose.utils.checkpoint import safe_load_checkpoint

REPO = Path(__file__).resolve().parents[2]
T_CONFIG = (
    REPO / 'configs' / 'body_2d_keypoint' / 'topdown_heatmap' / 'mpii' /
    'td-hm_levitpose-t_8xb64-210e_mpii-256x256.py')


def build_t(seed=0):
    from mmpose.registry import MODELS
    init_default_scope('mmpose')
    torch.manual_seed(seed)
    return MODELS.build(Config.fromfile(T_CONFIG).model).eval()


@pytest.fixture(scope='module')
def inputs():
    return torch.rand(
        1, 3, 256, 256, generator=torch.Generator().manual_seed(0))


def test_switch_to_deploy_keeps_heatmaps(randomize_bn, inputs):
    model = randomize_bn(build_t())
    with torch.no_grad():
        expected = model(inputs, None, 'tensor')
        model.switch_to_deploy()
        model.switch_to_deploy()  # a no-op
        got = model(inputs, None, 'tensor')
    assert model.backbone.deploy and model.head.deploy
    assert not any(isinstance(m, nn.BatchNorm2d) for m in model.modules())
    assert got.shape == (1, 16, 64, 64)
    torch.testing.assert_close(got, expected, rtol=0, atol=1e-5)


def test_checkpoint_round_trip_is_exact(tmp_path, randomize_bn, inputs):
    model = randomize_bn(build_t(seed=0))
    path = tmp_path / 'levitpose-t.pth'
    torch.save(
        dict(meta=dict(epoch=1), state_dict=model.state_dict()), str(path))
    other = build_t(seed=1)
    loaded = safe_load_checkpoint(str(path))
    other.load_state_dict(loaded['state_dict'], strict=True)
    with torch.no_grad():
        assert torch.equal(
            other(inputs, None, 'tensor'), model(inputs, None, 'tensor'))


def test_mmengine_load_checkpoint_reads_it(tmp_path, randomize_bn, inputs):
    from mmengine.runner import load_checkpoint
    model = randomize_bn(build_t(seed=0))
    path = tmp_path / 'levitpose-t.pth'
    torch.save(dict(state_dict=model.state_dict()), str(path))
    other = build_t(seed=1)
    load_checkpoint(other, str(path), map_location='cpu', strict=True)
    with torch.no_grad():
        assert torch.equal(
            other(inputs, None, 'tensor'), model(inputs, None, 'tensor'))
