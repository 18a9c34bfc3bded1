"""Tests of the residual parts and the sandwich block (layers/block.py)."""
import pytest
import torch
from torch import nn

from levitpose.models.layers import (CGSLRA, LocalWindowAttention,
                                     SandwichBlock, fuse_modules)
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


def _depthwise(channels=8, kernel=3, **kwargs):
    conv = nn.Conv2d(
        channels,
        channels,
        kernel,
        padding=kwargs.pop('padding', kernel // 2),
        groups=channels,
        **kwargs)
    nn.init.normal_(conv.weight)
    nn.init.normal_(conv.bias)
    return conv.eval()


@pytest.mark.parametrize('kernel', [1, 3, 5])
@pytest.mark.parametrize('size', [(1, 1), (5, 7), (16, 16)])
def test_residual_depthwise_folds_into_the_convolution(kernel, size):
    residual = Residual(_depthwise(kernel=kernel)).eval()
    x = torch.randn(2, 8, *size).contiguous(memory_format=torch.channels_last)
    with torch.no_grad():
        expected = residual(x)
        folded = residual.fuse()
        assert type(folded) is nn.Conv2d
        torch.testing.assert_close(folded(x), expected, rtol=0, atol=1e-5)
    # the original is untouched
    assert residual.fn.weight is not folded.weight


@pytest.mark.parametrize(
    'branch',
    [
        _depthwise(stride=2),  # halves the map: no identity to fold
        _depthwise(padding=0),  # shrinks the map
        _depthwise(padding_mode='reflect'),  # pads with values, not zeros
        _depthwise(dilation=2, padding=2),
        nn.Conv2d(8, 8, 3, padding=1),  # dense: not one tap per channel
        nn.Conv2d(8, 8, 3, padding=1, groups=2),
        ConvFFN(8, 16),
    ])
def test_residual_of_other_branches_stays(branch):
    residual = Residual(branch)
    assert residual.fuse() is residual


def test_deployed_block_folds_both_depthwise_residuals():
    block = make_block(dw_kernel=5).eval()
    for module in block.modules():
        if isinstance(module, nn.BatchNorm2d):  # not the zero-init identity
            nn.init.uniform_(module.weight, 0.5, 1.5)
            nn.init.normal_(module.bias)
    x = torch.randn(1, 16, 9, 11)
    with torch.no_grad():
        expected = block(x)
        fuse_modules(block)
        assert type(block.dw0) is nn.Conv2d and type(block.dw1) is nn.Conv2d
        assert isinstance(block.ffn0, Residual)
        torch.testing.assert_close(block(x), expected, rtol=0, atol=1e-4)


def test_residual_depthwise_without_bias_folds_without_bias():
    conv = nn.Conv2d(8, 8, 3, padding=1, groups=8, bias=False).eval()
    x = torch.randn(1, 8, 6, 6)
    with torch.no_grad():
        folded = Residual(conv).fuse()
        assert folded.bias is None
        torch.testing.assert_close(folded(x), x + conv(x), rtol=0, atol=1e-5)
