"""Tests of the residual parts and the sandwich block (layers/block.py)."""
import pytest
import torch
from torch import nn

from levitpose.models.layers import CGSLRA, LocalWindowAttention, SandwichBlock
from levitpose.models.layers.block import ConvFFN, Residual


class Recorder(nn.Module):
    """A mixer that records that it ran and returns zeros."""

    def __init__(self, calls):
        super().__init__()
        self.calls = calls

    def forward(self, x):
        self.calls.append('mixer')
        return torch.zeros_like(x)


def make_block(mixer=None, **kwargs):
    mixer = CGSLRA(16, 4, 2, 2, 3) if mixer is None else mixer
    return SandwichBlock(16, mixer, 2., **kwargs)


def test_block_order_is_dw_ffn_mixer_dw_ffn():
    calls = []
    block = make_block(Recorder(calls))
    for name in ('dw0', 'ffn0', 'dw1', 'ffn1'):
        getattr(block, name).register_forward_hook(
            lambda m, i, o, name=name: calls.append(name))
    block(torch.rand(1, 16, 4, 4))
    assert calls == ['dw0', 'ffn0', 'mixer', 'dw1', 'ffn1']


def test_every_part_is_residual():
    block = make_block()
    assert [name for name, _ in block.named_children()
            ] == ['dw0', 'ffn0', 'mixer', 'dw1', 'ffn1']
    assert all(isinstance(part, Residual) for part in block)


def test_depthwise_parts_use_dw_kernel():
    block = make_block(dw_kernel=5)
    for part in (block.dw0, block.dw1):
        assert part.fn.conv.groups == 16
        assert part.fn.conv.kernel_size == (5, 5)


def test_ffn_ratio_sets_hidden_width():
    block = SandwichBlock(16, nn.Identity(), 3.)
    assert block.ffn0.fn.expand.conv.out_channels == 48
    assert block.ffn1.fn.reduce.conv.in_channels == 48


@pytest.mark.parametrize('mixer', [
    CGSLRA(16, 4, 2, 2, 3),
    LocalWindowAttention(16, 4, 4, 7, (5, 5, 5, 5), resolution=(6, 6))
])
def test_fresh_block_is_identity(mixer):
    block = make_block(mixer).eval()
    x = torch.rand(2, 16, 6, 6)
    torch.testing.assert_close(block(x), x, rtol=0, atol=0)


def test_drop_path_reaches_every_part():
    block = make_block(drop_path=0.3)
    assert [part.drop_path for part in block] == [0.3] * 5


def test_residual_drop_path_drops_whole_samples():
    torch.manual_seed(0)
    res = Residual(nn.Identity(), drop_path=0.5).train()
    x = torch.ones(64, 2, 3, 3)
    out = res(x)
    per_sample = out.flatten(1)[:, 0]
    assert set(per_sample.tolist()) == {1., 3.}  # dropped, or kept x 2
    assert (out.flatten(1) == per_sample[:, None]).all()


def test_residual_drop_path_is_off_in_eval():
    res = Residual(nn.Identity(), drop_path=0.5).eval()
    x = torch.rand(8, 2, 3, 3)
    torch.testing.assert_close(res(x), 2 * x)


@pytest.mark.parametrize('rate', [-0.1, 1.])
def test_residual_bad_drop_path_raises(rate):
    with pytest.raises(ValueError, match='drop_path'):
        Residual(nn.Identity(), rate)


def test_conv_ffn_is_pointwise_relu_pointwise():
    ffn = ConvFFN(8, 24)
    assert [name for name, _ in ffn.named_children()
            ] == ['expand', 'act', 'reduce']
    assert ffn.expand.conv.kernel_size == (1, 1)
    assert ffn.reduce.conv.kernel_size == (1, 1)
    assert type(ffn.act) is nn.ReLU
    assert ffn(torch.rand(1, 8, 5, 4)).shape == (1, 8, 5, 4)
