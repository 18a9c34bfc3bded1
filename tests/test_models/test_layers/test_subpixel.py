"""Tests of the sub-pixel form of stride-2 transposed convolutions
(layers/subpixel.py): same weights, same output, any layout."""
import io

import onnx
import pytest
import torch
from torch import nn

from levitpose.models.layers import DeconvBN
from levitpose.models.layers.subpixel import SubPixelConvTranspose2d


def make_deconv(in_channels=32, out_channels=16, kernel=4, groups=4):
    torch.manual_seed(0)
    deconv = nn.ConvTranspose2d(
        in_channels,
        out_channels,
        kernel,
        stride=2,
        padding=(kernel - 2) // 2,
        groups=groups)
    nn.init.normal_(deconv.bias)
    return deconv.eval()


@pytest.mark.parametrize('kernel', [4, 2])
@pytest.mark.parametrize('groups', [1, 4, 16])
@pytest.mark.parametrize('channels_last', [False, True])
def test_equals_the_transposed_convolution(kernel, groups, channels_last):
    deconv = make_deconv(32, 16, kernel, groups)
    layer = SubPixelConvTranspose2d.from_deconv(deconv)
    x = torch.randn(2, 32, 7, 5)
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    with torch.no_grad():
        expected = deconv(x)
        got = layer(x)
    assert got.shape == (2, 16, 14, 10)
    torch.testing.assert_close(got, expected, rtol=0, atol=1e-5)


def test_runs_as_convolution_and_pixel_shuffle():
    layer = SubPixelConvTranspose2d.from_deconv(make_deconv(kernel=4))
    weight, bias, padding = layer.subpixel_conv()
    assert weight.shape == (4 * 16, 32 // 4, 3, 3) and padding == 1
    assert bias.shape == (64, )
    with torch.no_grad(), torch.autograd.profiler.profile() as prof:
        layer(torch.randn(1, 32, 6, 6))
    calls = {e.name for e in prof.function_events}
    assert 'aten::pixel_shuffle' in calls
    assert not any('convolution_backward' in c or 'conv_transpose' in c
                   for c in calls)


def test_state_dict_is_the_transposed_convolutions():
    deconv = make_deconv()
    layer = SubPixelConvTranspose2d.from_deconv(deconv)
    assert layer.state_dict().keys() == deconv.state_dict().keys()
    assert all(
        torch.equal(v,
                    deconv.state_dict()[k])
        for k, v in layer.state_dict().items())


def test_loading_new_weights_refreshes_the_cached_convolution():
    layer = SubPixelConvTranspose2d.from_deconv(make_deconv())
    x = torch.randn(1, 32, 5, 5)
    with torch.no_grad():
        layer(x)  # caches the sub-pixel weights
        other = make_deconv()
        nn.init.normal_(other.weight)
        layer.load_state_dict(other.state_dict())
        torch.testing.assert_close(layer(x), other(x), rtol=0, atol=1e-5)
        layer.weight.mul_(2.)  # an in-place update
        other.weight.mul_(2.)
        torch.testing.assert_close(layer(x), other(x), rtol=0, atol=1e-5)


def test_gradients_flow_when_training():
    layer = SubPixelConvTranspose2d.from_deconv(make_deconv()).train()
    layer(torch.randn(1, 32, 5, 5)).sum().backward()
    assert layer.weight.grad is not None and layer.weight.grad.abs().sum()


def test_onnx_export_keeps_the_transposed_convolution():
    layer = SubPixelConvTranspose2d.from_deconv(make_deconv())
    buffer = io.BytesIO()
    torch.onnx.export(
        layer, (torch.randn(1, 32, 5, 5), ), buffer, dynamo=False)
    ops = {
        n.op_type
        for n in onnx.load_from_string(buffer.getvalue()).graph.node
    }
    assert 'ConvTranspose' in ops and 'DepthToSpace' not in ops


def test_deconv_bn_fuses_to_it():
    torch.manual_seed(0)
    layer = DeconvBN(16, 16, groups=4).eval()
    nn.init.uniform_(layer.bn.weight, 0.5, 1.5)
    nn.init.normal_(layer.bn.running_mean)
    x = torch.randn(1, 16, 4, 6)
    with torch.no_grad():
        expected = layer(x)
        fused = layer.fuse()
        got = fused(x)
    assert type(fused) is SubPixelConvTranspose2d
    torch.testing.assert_close(got, expected, rtol=0, atol=1e-5)


@pytest.mark.parametrize('kwargs', [
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=4, stride=1, padding=1),
    dict(kernel_size=4, stride=2, padding=1, output_padding=1),
    dict(kernel_size=4, stride=2, padding=1, dilation=2),
])
def test_refuses_other_transposed_convolutions(kwargs):
    with pytest.raises(ValueError, match='sub-pixel form needs'):
        SubPixelConvTranspose2d.from_deconv(nn.ConvTranspose2d(8, 8, **kwargs))
