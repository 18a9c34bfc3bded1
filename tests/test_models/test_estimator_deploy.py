"""switch_to_deploy on the whole MMPose TopdownPoseEstimator."""
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from torch import nn

REPO = Path(__file__).resolve().parents[2]
TOPDOWN = REPO / 'configs' / 'body_2d_keypoint' / 'topdown_heatmap'


@pytest.mark.parametrize('config', [
    'mpii/td-hm_levitpose-t_8xb64-210e_mpii-256x256.py',
    'coco/td-hm_levitpose-s_8xb64-210e_coco-256x256.py'
])
def test_estimator_switch_to_deploy_fuses_backbone_and_head(
        config, randomize_bn):
    from mmpose.registry import MODELS
    init_default_scope('mmpose')
    cfg = Config.fromfile(TOPDOWN / config)
    torch.manual_seed(0)
    model = randomize_bn(MODELS.build(cfg.model)).eval()
    x = torch.rand(1, 3, 256, 192)  # non-square on purpose
    with torch.no_grad():
        expected = model(x, None, 'tensor')
        model.switch_to_deploy()
        model.switch_to_deploy()
        got = model(x, None, 'tensor')
    assert model.backbone.deploy and model.head.deploy
    assert not any(isinstance(m, nn.BatchNorm2d) for m in model.modules())
    torch.testing.assert_close(got, expected, rtol=0, atol=1e-5)
