"""Tests of the fusable Conv/Linear + BN layers and fuse_modules."""
import pytest
import torch
from torch import nn

from levitpose.models.layers import ConvBN, LinearBN, fuse_modules


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
    assert isinstance(fused, nn.Conv2d) and fused.bias is not None
    torch.testing.assert_close(fused(x), layer(x), rtol=0, atol=1e-5)


def test_conv_bn_default_padding_keeps_size():
    assert ConvBN(3, 4, 5)(torch.rand(1, 3, 7, 6)).shape == (1, 4, 7, 6)


def test_conv_bn_zero_init_outputs_zero():
    layer = ConvBN(4, 4, zero_init=True).eval()
    assert not layer(torch.rand(1, 4, 3, 3)).any()


def test_linear_bn_over_tokens_and_fuse(randomize_bn):
    layer = randomize_bn(LinearBN(6, 10)).eval()
    x = torch.rand(2, 7, 6)
    out = layer(x)
    assert out.shape == (2, 7, 10)
    torch.testing.assert_close(layer.fuse()(x), out, rtol=0, atol=1e-5)


def test_linear_bn_normalises_over_every_token():
    layer = LinearBN(4, 3).train()
    out = layer(torch.rand(2, 50, 4) * 5 + 3)
    torch.testing.assert_close(
        out.flatten(0, 1).mean(0), torch.zeros(3), rtol=0, atol=1e-5)


def test_fuse_modules_replaces_nested_layers(randomize_bn):
    model = randomize_bn(
        nn.Sequential(
            ConvBN(3, 4, 3), nn.ReLU(), nn.Sequential(ConvBN(4, 4,
                                                             1)))).eval()
    x = torch.rand(1, 3, 8, 8)
    expected = model(x)
    fused = fuse_modules(model)
    assert fused is model
    assert not any(
        isinstance(m, (ConvBN, nn.BatchNorm2d)) for m in model.modules())
    torch.testing.assert_close(model(x), expected, rtol=0, atol=1e-5)


def test_fuse_modules_keeps_training_flag():
    fused = fuse_modules(nn.Sequential(ConvBN(2, 2)).train())
    assert fused[0].training
