"""Tests of the EfficientViT (MSRA) backbone used by the pose baseline."""
import pytest
import torch
from torch import nn

from levitpose.models.backbones import EfficientViT
from levitpose.models.layers import CascadedGroupAttention

torch.set_num_threads(1)


def test_m0_matches_paper_table():
    model = EfficientViT('m0')
    assert model.arch == dict(
        embed_dims=(64, 128, 192),
        depths=(1, 2, 3),
        num_heads=(4, 4, 4),
        key_dims=(16, 16, 16),
        window=7,
        kernels=(5, 5, 5, 5))
    blocks = [n for n, _ in model.stages[2].named_children() if 'block' in n]
    assert len(blocks) == 3


@pytest.mark.parametrize('hw', [(256, 256), (256, 192), (384, 288)])
def test_strides_16_32_64_any_size(hw):
    model = EfficientViT(out_indices=(0, 1, 2)).eval()
    feats = model(torch.rand(1, 3, *hw))
    h, w = hw
    assert [tuple(f.shape[1:])
            for f in feats] == [(64, -(-h // 16), -(-w // 16)),
                                (128, -(-h // 32), -(-w // 32)),
                                (192, -(-h // 64), -(-w // 64))]


@pytest.mark.parametrize('arch', ['m1', 'tiny', 0])
def test_bad_arch_raises(arch):
    with pytest.raises(ValueError, match="'m0'"):
        EfficientViT(arch)


@pytest.mark.parametrize('kwargs, match',
                         [(dict(out_indices=(3, )), 'out_indices'),
                          (dict(frozen_stages=5), 'frozen_stages')])
def test_bad_options_raise(kwargs, match):
    with pytest.raises(ValueError, match=match):
        EfficientViT(**kwargs)


def test_switch_to_deploy_keeps_outputs(randomize_bn):
    torch.manual_seed(0)
    model = randomize_bn(EfficientViT()).eval()
    for module in model.modules():
        if isinstance(module, CascadedGroupAttention):
            nn.init.normal_(module.attention_biases, std=0.5)
    x = torch.rand(1, 3, 256, 192)
    expected = model(x)[0]
    model.switch_to_deploy()
    model.switch_to_deploy()
    assert not any(isinstance(m, nn.BatchNorm2d) for m in model.modules())
    attn = next(m for m in model.modules()
                if isinstance(m, CascadedGroupAttention))
    assert attn.attention_bias.shape == (4, 49, 49)
    torch.testing.assert_close(model(x)[0], expected, rtol=0, atol=1e-5)


def test_deploy_construction_loads_fused_state_dict(randomize_bn):
    torch.manual_seed(0)
    model = randomize_bn(EfficientViT()).eval()
    model.switch_to_deploy()
    deployed = EfficientViT(deploy=True).eval()
    deployed.load_state_dict(model.state_dict(), strict=True)
    x = torch.rand(1, 3, 128, 128)
    torch.testing.assert_close(deployed(x)[0], model(x)[0])


def test_frozen_stages_and_norm_eval():
    model = EfficientViT(frozen_stages=0, norm_eval=True).train()
    assert not any(p.requires_grad for p in model.stages[0].parameters())
    assert all(p.requires_grad for p in model.stages[1].parameters())
    assert not any(m.training
                   for m in model.modules() if isinstance(m, nn.BatchNorm2d))


def test_gradients_reach_every_parameter():
    model = EfficientViT(out_indices=(0, 1, 2)).train()
    for module in model.modules():
        if isinstance(module, nn.BatchNorm2d):
            nn.init.constant_(module.weight, 1.)
    sum(f.mean() for f in model(torch.rand(2, 3, 128, 96))).backward()
    missing = [
        n for n, p in model.named_parameters()
        if p.grad is None or not p.grad.abs().sum() > 0
    ]
    assert not missing


def test_in_channels_option():
    model = EfficientViT(in_channels=1).eval()
    assert model(torch.rand(1, 1, 128, 128))[0].shape == (1, 192, 2, 2)
