"""Tests of layers/conv_act.py: ``Conv2d -> ReLU`` as one oneDNN kernel in
a deployed model, the same numbers, the same state dict, and the ordinary
operators wherever the fused kernel does not apply."""
import pytest
import torch
from torch import nn

from levitpose.models.layers import fuse_activations
from levitpose.models.layers.block import ConvFFN, Residual
from levitpose.models.layers.conv_act import (ConvReLU2d, _pointwise_op,
                                              conv_add)


def _conv(cin=8, cout=16, k=1, stride=1, groups=1):
    torch.manual_seed(0)
    conv = nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups).eval()
    nn.init.normal_(conv.bias)  # negative outputs for the ReLU to clip
    return conv


@pytest.mark.parametrize('k, stride, groups', [(1, 1, 1), (3, 1, 8), (3, 2, 1),
                                               (5, 1, 8)])
@pytest.mark.parametrize('channels_last', [False, True])
def test_fused_equals_conv_then_relu(k, stride, groups, channels_last):
    conv = _conv(k=k, stride=stride, groups=groups)
    fused = ConvReLU2d.from_conv(conv)
    x = torch.randn(2, 8, 13, 11)
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    with torch.no_grad():
        expected = torch.relu(conv(x))
        got = fused(x)
    assert (expected == 0).any() and (expected > 0).any()
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-6)


def test_this_build_has_the_fused_kernel():
    """The CPU wheels of PyTorch ship oneDNN; without it the layer would
    still be right (the fallback), only not faster."""
    assert _pointwise_op() is not None


def test_fused_kernel_runs_at_inference(monkeypatch):
    calls = []
    real = _pointwise_op()

    def spy(*args):
        calls.append(args[7])
        return real(*args)

    monkeypatch.setattr('levitpose.models.layers.conv_act._pointwise_op',
                        lambda: spy)
    fused = ConvReLU2d.from_conv(_conv())
    with torch.no_grad():
        fused(torch.randn(1, 8, 4, 4))
    assert calls == ['relu']
    # autograd, tracing: the ordinary operators
    x = torch.randn(1, 8, 4, 4, requires_grad=True)
    fused(x).sum().backward()
    assert x.grad is not None and calls == ['relu']
    with torch.no_grad():  # (check_trace would rerun it untraced)
        torch.jit.trace(fused, torch.randn(1, 8, 4, 4), check_trace=False)
    assert calls == ['relu']


def test_fuse_activations_keeps_the_state_dict():
    seq = nn.Sequential(_conv(), nn.ReLU(), _conv(16, 8), nn.ReLU(),
                        nn.Sequential(_conv(8, 8, 3), nn.ReLU()),
                        nn.ReLU())  # a ReLU after a Sequential stays
    keys = {k: v.clone() for k, v in seq.state_dict().items()}
    x = torch.randn(1, 8, 6, 6)
    with torch.no_grad():
        expected = seq(x)
        assert fuse_activations(seq) == 3
        got = seq(x)
    assert [type(m).__name__ for m in seq] == [
        'ConvReLU2d', 'Identity', 'ConvReLU2d', 'Identity', 'Sequential',
        'ReLU'
    ]
    state = seq.state_dict()
    assert set(state) == set(keys)
    assert all(torch.equal(state[k], v) for k, v in keys.items())
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-6)
    assert fuse_activations(seq) == 0  # nothing left to fuse


def test_other_pairs_are_left_alone():
    seq = nn.Sequential(_conv(), nn.ReLU6(), _conv(16, 16), nn.GELU(),
                        nn.ConvTranspose2d(16, 16, 2), nn.ReLU(),
                        nn.Conv2d(16, 16, 3, padding='same'), nn.ReLU())
    assert fuse_activations(seq) == 0


def test_from_conv_refuses_other_layers():
    with pytest.raises(TypeError, match='zero-padded nn.Conv2d'):
        ConvReLU2d.from_conv(nn.ConvTranspose2d(4, 4, 2))


def test_onnx_export_sees_conv_and_relu(tmp_path):
    onnx = pytest.importorskip('onnx')
    ort = pytest.importorskip('onnxruntime')
    seq = nn.Sequential(_conv(), nn.ReLU()).eval()
    fuse_activations(seq)
    x = torch.randn(1, 8, 6, 6)
    path = str(tmp_path / 'conv_relu.onnx')
    torch.onnx.export(seq, (x, ), path, dynamo=True, opset_version=20)
    ops = [n.op_type for n in onnx.load(path).graph.node]
    assert ops == ['Conv', 'Relu']
    session = ort.InferenceSession(path, providers=['CPUExecutionProvider'])
    (got, ) = session.run(None, {session.get_inputs()[0].name: x.numpy()})
    with torch.no_grad():
        torch.testing.assert_close(
            torch.from_numpy(got), seq(x), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize('channels_last', [False, True])
def test_conv_add_equals_conv_plus_other(channels_last):
    conv = _conv(16, 16, 3, groups=16)
    x, other = torch.randn(2, 16, 9, 7), torch.randn(2, 16, 9, 7)
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    with torch.no_grad():
        torch.testing.assert_close(
            conv_add(conv, x, other), conv(x) + other, rtol=1e-5, atol=1e-6)
    grad = torch.randn(1, 16, 4, 4, requires_grad=True)  # autograd: fallback
    conv_add(conv, grad, grad).sum().backward()
    assert grad.grad is not None


def _randomize(module):
    torch.manual_seed(1)
    for m in module.modules():
        if isinstance(m, nn.BatchNorm2d):
            nn.init.uniform_(m.weight, 0.5, 1.5)
            nn.init.normal_(m.bias)
            m.running_mean.normal_()
            m.running_var.uniform_(0.5, 1.5)
    return module.eval()


def test_residual_adds_inside_its_last_convolution():
    from levitpose.models.layers import ConvBN, fuse_modules
    blocks = nn.Sequential(
        Residual(ConvBN(16, 16, 3, groups=16)), Residual(ConvFFN(16, 32)),
        Residual(nn.Sequential(nn.ReLU(), nn.Conv2d(16, 16, 1))),
        Residual(nn.GELU()))
    blocks = _randomize(blocks)
    x = torch.randn(2, 16, 8, 8).contiguous(memory_format=torch.channels_last)
    with torch.no_grad():
        expected = blocks(x)
        fuse_modules(blocks)
        keys = set(blocks.state_dict())
        # 1 ReLU (the FFN's), 3 additions (not the GELU branch's)
        assert fuse_activations(blocks) == 4
        assert fuse_activations(blocks) == 0
        got = blocks(x)
    assert [r.add_in_conv for r in blocks] == [True, True, True, False]
    assert set(blocks.state_dict()) == keys
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-5)


def test_deployed_levitpose_fuses_its_ffns_and_residuals():
    from levitpose.models.backbones import LEViTPose
    model = LEViTPose('tiny', input_size=(256, 256)).eval()
    model.switch_to_deploy()
    # 6 blocks x 2 FFNs + 2 subsamples x 2 FFNs
    assert sum(type(m) is ConvReLU2d for m in model.modules()) == 16
    # ... and as many depthwise-convolution branches
    assert sum(getattr(m, 'add_in_conv', False) for m in model.modules()) == 32
