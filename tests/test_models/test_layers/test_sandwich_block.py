"""Tests of the residual parts and the LEViTPose sandwich block."""
import pytest
import torch
from torch import nn

from levitpose.models.layers import (ConvFFN, LEViTPoseBlock, LEViTPoseStage,
                                     LightStem, Residual, SubsampleEmbed)


def test_block_order_is_dw_ffn_attn_dw_ffn():
    block = LEViTPoseBlock(16, 2, 8, 2, 2.)
    assert [name for name, _ in block.named_children()
            ] == ['dw0', 'ffn0', 'mixer', 'dw1', 'ffn1']
    assert all(isinstance(m, Residual) for m in block)


def test_ffn_ratio_sets_hidden_width():
    block = LEViTPoseBlock(16, 2, 8, 2, 3.)
    assert block.ffn0.fn.expand.conv.out_channels == 48


def test_fresh_block_is_identity():
    block = LEViTPoseBlock(16, 2, 8, 2, 2.).eval()
    x = torch.rand(1, 16, 8, 8)
    torch.testing.assert_close(block(x), x)


def test_residual_drop_path_drops_whole_samples():
    torch.manual_seed(0)
    res = Residual(nn.Identity(), drop_path=0.5).train()
    x = torch.ones(64, 2, 3, 3)
    out = res(x)
    per_sample = out.flatten(1)[:, 0]
    assert set(per_sample.tolist()) == {1., 3.}  # dropped or scaled by 2
    assert (out.flatten(1) == per_sample[:, None]).all()


@pytest.mark.parametrize('rate', [-0.1, 1.])
def test_residual_bad_drop_path_raises(rate):
    with pytest.raises(ValueError, match='drop_path'):
        Residual(nn.Identity(), rate)


def test_conv_ffn_shape():
    assert ConvFFN(8, 24)(torch.rand(1, 8, 5, 4)).shape == (1, 8, 5, 4)


def test_stem_and_subsample_strides():
    stem, sub = LightStem(3, 8, 16), SubsampleEmbed(16, 32)
    x = stem(torch.rand(1, 3, 64, 32))
    assert x.shape == (1, 16, 16, 8) and stem.stride == 4
    assert sub(x).shape == (1, 32, 8, 4) and sub.stride == 2


def test_stage_checks_drop_paths_length():
    with pytest.raises(ValueError, match='drop_paths'):
        LEViTPoseStage(SubsampleEmbed(8, 16), 16, 2, 2, 8, 2, 2., [0.])
