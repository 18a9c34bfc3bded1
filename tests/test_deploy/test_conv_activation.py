"""Activations fused into packed convolutions (deploy/conv_activation.py):
each activation oneDNN has gives the module's result fused, only a
convolution's sole reader is fused, and optimize_for_cpu's packed trace of
LEViTPose-T has no activation left behind a convolution."""
import pytest
import torch
from torch import nn

from levitpose.apis import init_pose_model
from levitpose.deploy import optimize_for_cpu
from levitpose.deploy.conv_activation import (ACTIVATIONS, CONV,
                                              fuse_conv_activations)
from levitpose.deploy.packed_conv import pack_convolutions

pytestmark = pytest.mark.skipif(
    not torch.backends.mkldnn.is_available(), reason='needs oneDNN')


def rand(*shape, seed=0):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed))


def frozen_packed(net, x):
    """``net`` packed, traced and frozen as optimize_for_cpu does, before
    any fusion."""
    net = net.eval()
    assert pack_convolutions(net, x) > 0
    with torch.no_grad():
        return torch.jit.freeze(torch.jit.trace(net, x).eval())


def kinds(module):
    return [node.kind() for node in module.graph.nodes()]


def conv_attrs(module):
    return [
        node.inputsAt(7).toIValue() for node in module.graph.nodes()
        if node.kind() == CONV
    ]


@pytest.mark.parametrize(
    'act, kind', [
        (nn.ReLU(), 'aten::relu'),
        (nn.ReLU(inplace=True), 'aten::relu_'),
        (nn.ReLU6(inplace=True), 'aten::hardtanh_'),
        (nn.Hardtanh(-0.5, 1.5), 'aten::hardtanh'),
        (nn.SiLU(), 'aten::silu'),
        (nn.Sigmoid(), 'aten::sigmoid'),
        (nn.Tanh(), 'aten::tanh'),
        (nn.Hardswish(), 'aten::hardswish'),
        (nn.Hardsigmoid(), 'aten::hardsigmoid'),
        (nn.LeakyReLU(0.2), 'aten::leaky_relu'),
        (nn.GELU(), 'aten::gelu'),
        (nn.GELU(approximate='tanh'), 'aten::gelu'),
    ],
    ids=[
        'relu', 'relu_', 'relu6_', 'hardtanh', 'silu', 'sigmoid', 'tanh',
        'hardswish', 'hardsigmoid', 'leaky_relu', 'gelu', 'gelu-tanh'
    ])
def test_each_activation_fused_gives_the_module_result(act, kind):
    assert kind in ACTIVATIONS
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(8, 16, 3, padding=1), act)
    x = rand(1, 8, 12, 12) * 3  # both sides of every activation's knees
    with torch.no_grad():
        expected = net(x)
        other = rand(2, 8, 9, 7, seed=1) * 3
        expected_other = net(other)
    fast = frozen_packed(net, x)
    assert kind in kinds(fast)
    assert fuse_conv_activations(fast.graph) == 1
    assert kind not in kinds(fast)
    assert conv_attrs(fast) != ['none']
    with torch.no_grad():
        torch.testing.assert_close(fast(x), expected, rtol=1e-5, atol=1e-5)
        torch.testing.assert_close(
            fast(other), expected_other, rtol=1e-5, atol=1e-5)


class _Shared(nn.Module):
    """A convolution read by its activation and by a residual sum."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(4, 4, 1)

    def forward(self, x):
        y = self.conv(x)
        return torch.relu(y) + y


class _Twice(nn.Module):
    """Two activations in a row: only the first can become the post-op."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(4, 4, 1)

    def forward(self, x):
        return torch.sigmoid(torch.relu(self.conv(x)))


class _NoConv(nn.Module):
    """An activation after a linear, and one after the network input."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(4, 4, 1)
        self.fc = nn.Linear(6, 6)

    def forward(self, x):
        return torch.relu(self.fc(self.conv(torch.relu(x))))


@pytest.mark.parametrize(
    'net, fused, left', [(_Shared(), 0, ['aten::relu']),
                         (_Twice(), 1, ['aten::sigmoid']),
                         (_NoConv(), 0, ['aten::relu', 'aten::relu'])],
    ids=['output-read-twice', 'two-activations', 'not-after-a-conv'])
def test_only_a_convolutions_sole_reader_is_fused(net, fused, left):
    torch.manual_seed(0)
    x = rand(1, 4, 6, 6)
    with torch.no_grad():
        expected = net.eval()(x)
    fast = frozen_packed(net, x)
    assert fuse_conv_activations(fast.graph) == fused
    assert [k for k in kinds(fast) if k in ACTIVATIONS] == left
    with torch.no_grad():
        torch.testing.assert_close(fast(x), expected, rtol=1e-5, atol=1e-5)


def test_levitpose_t_trace_keeps_no_activation_behind_a_convolution(
        levitpose_t_config):
    model = init_pose_model(levitpose_t_config).eval()
    packed = optimize_for_cpu(model, (1, 3, 64, 64))
    plain = optimize_for_cpu(model, (1, 3, 64, 64), pack_weights=False)
    left = [
        node for node in packed.graph.nodes()
        if node.kind() in ACTIVATIONS and node.inputsAt(0).node().kind() ==
        CONV and len(node.inputsAt(0).uses()) == 1
    ]
    assert not left
    attrs = conv_attrs(packed)
    # the FFNs' expanding convolutions, LStem's and LFRM's: ReLU post-ops
    assert attrs.count('relu') > 20
    assert 'aten::relu' in kinds(plain)  # nothing fused without packing
    x = rand(1, 3, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(packed(x), plain(x), rtol=0, atol=1e-4)
