"""Tests of ConvBN, DeconvBN and fuse_modules (layers/conv_bn.py)."""
import pytest
import torch
from torch import nn

from levitpose.models.layers import ConvBN, DeconvBN, fuse_modules


@pytest.mark.parametrize('kwargs', [
    dict(kernel_size=1),
    dict(kernel_size=3, stride=2),
    dict(kernel_size=5, groups=8),
    dict(kernel_size=3, padding=0),
])
def test_conv_bn_fuse_matches(kwargs, randomize_bn):
    layer = randomize_bn(ConvBN(8, 16, **kwargs)).eval()
    x = torch.rand(2, 8, 11, 9)
    fused = layer.fuse()
    assert type(fused) is nn.Conv2d and fused.bias is not None
    torch.testing.assert_close(fused(x), layer(x), rtol=0, atol=1e-5)


def test_conv_bn_conv_has_no_bias():
    assert ConvBN(4, 8, 3).conv.bias is None


def test_conv_bn_default_padding_keeps_size():
    assert ConvBN(3, 4, 5)(torch.rand(1, 3, 7, 6)).shape == (1, 4, 7, 6)


def test_conv_bn_zero_init_outputs_zero():
    layer = ConvBN(4, 4, zero_init=True).eval()
    assert not layer(torch.rand(1, 4, 3, 3)).any()


@pytest.mark.parametrize('kernel_size', [2, 4])
def test_deconv_bn_doubles_size(kernel_size):
    layer = DeconvBN(4, 6, kernel_size=kernel_size).eval()
    assert layer(torch.rand(1, 4, 5, 3)).shape == (1, 6, 10, 6)


def test_deconv_bn_deconv_is_grouped_and_bias_free():
    deconv = DeconvBN(8, 16, groups=4).deconv
    assert type(deconv) is nn.ConvTranspose2d
    assert deconv.groups == 4 and deconv.bias is None


@pytest.mark.parametrize('in_channels, out_channels, groups, kernel_size', [
    (8, 8, 1, 4),
    (8, 16, 4, 4),
    (16, 8, 8, 4),
    (12, 12, 12, 2),
])
def test_deconv_bn_fuse_matches(in_channels, out_channels, groups, kernel_size,
                                randomize_bn):
    layer = randomize_bn(
        DeconvBN(in_channels, out_channels, groups, kernel_size)).eval()
    x = torch.rand(2, in_channels, 5, 4)
    fused = layer.fuse()
    assert isinstance(fused, nn.ConvTranspose2d) and fused.bias is not None
    assert fused.groups == groups
    torch.testing.assert_close(fused(x), layer(x), rtol=0, atol=1e-5)


@pytest.mark.parametrize('kernel_size', [3, 1, 8])
def test_deconv_bn_bad_kernel_raises(kernel_size):
    with pytest.raises(ValueError, match='kernel_size'):
        DeconvBN(4, 4, kernel_size=kernel_size)


def test_fuse_modules_replaces_nested_layers(randomize_bn):
    model = randomize_bn(
        nn.Sequential(
            ConvBN(3, 4, 3), nn.ReLU(),
            nn.Sequential(DeconvBN(4, 4, groups=2), ConvBN(4, 4)))).eval()
    x = torch.rand(1, 3, 8, 8)
    expected = model(x)
    fused = fuse_modules(model)
    assert fused is model
    assert not any(
        isinstance(m, (ConvBN, DeconvBN, nn.BatchNorm2d))
        for m in model.modules())
    torch.testing.assert_close(model(x), expected, rtol=0, atol=1e-5)


def test_fuse_modules_returns_replacement_of_fusable_root():
    fused = fuse_modules(ConvBN(2, 3).eval())
    assert type(fused) is nn.Conv2d


@pytest.mark.parametrize('mode', [True, False])
def test_fuse_modules_keeps_training_flag(mode):
    fused = fuse_modules(nn.Sequential(ConvBN(2, 2)).train(mode))
    assert fused[0].training is mode
