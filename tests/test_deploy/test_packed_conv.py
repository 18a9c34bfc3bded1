"""Convolutions with oneDNN-prepacked weights (deploy/packed_conv.py): the
same result as the convolution for any input, every convolution of a model
replaced, nothing else touched, and every benchmark model's traced form
(which packs) equal to its training graph."""
import warnings

import pytest
import torch
from torch import nn

from levitpose.apis import init_pose_model
from levitpose.deploy import TensorExportWrapper, optimize_for_cpu, packed_conv
from levitpose.deploy.benchmark import BENCHMARK_MODELS
from levitpose.deploy.benchmark.models import config_path
from levitpose.deploy.packed_conv import (PackedConv2d, can_pack,
                                          pack_convolutions)
from levitpose.deploy.torch_inference import fuse_for_deploy
from levitpose.models.layers.subpixel import SubPixelConvTranspose2d
from levitpose.utils.config import load_config

pytestmark = pytest.mark.skipif(
    not torch.backends.mkldnn.is_available(), reason='needs oneDNN')


def rand(*shape, seed=0, channels_last=False):
    x = torch.randn(*shape, generator=torch.Generator().manual_seed(seed))
    return x.contiguous(
        memory_format=torch.channels_last) if channels_last else x


@pytest.mark.parametrize(
    'conv',
    [
        dict(in_channels=8, out_channels=16, kernel_size=3, padding=1),
        dict(
            in_channels=8,
            out_channels=8,
            kernel_size=3,
            stride=2,
            padding=1,
            groups=8),  # depthwise, strided
        dict(
            in_channels=8,
            out_channels=16,
            kernel_size=5,
            padding=4,
            dilation=2,
            groups=2),
        dict(in_channels=3, out_channels=16, kernel_size=3, stride=2),
        dict(in_channels=16, out_channels=4, kernel_size=1, bias=False),
        dict(
            in_channels=6,
            out_channels=6,
            kernel_size=(3, 1),
            stride=(2, 1),
            padding=(1, 0),
            groups=3),
    ],
    ids=[
        '3x3', 'depthwise-s2', 'dilated-grouped', 'unpadded-s2', '1x1-no-bias',
        'rectangular'
    ])
def test_packed_conv_equals_the_conv_for_any_input(conv):
    torch.manual_seed(0)
    layer = nn.Conv2d(**conv).eval()
    packed = PackedConv2d.from_conv(layer, (1, conv['in_channels'], 20, 20))
    # the shape it was packed for, and another batch and size; both layouts
    for shape in ((1, conv['in_channels'], 20, 20), (3, conv['in_channels'],
                                                     17, 23)):
        for channels_last in (False, True):
            x = rand(*shape, channels_last=channels_last)
            with torch.no_grad():
                torch.testing.assert_close(
                    packed(x), layer(x), rtol=1e-5, atol=1e-5)


def test_weights_are_buffers_not_parameters():
    packed = PackedConv2d.from_conv(nn.Conv2d(4, 8, 3), (1, 4, 8, 8))
    assert not list(packed.parameters())
    assert packed.weight.is_mkldnn  # oneDNN's own layout
    assert 'kernel_size=(3, 3)' in repr(packed)


class _ConvSubclass(nn.Conv2d):
    """A subclass with a forward of its own: not replaced."""

    def forward(self, x):
        return super().forward(x) * 2


@pytest.mark.parametrize('module, expected', [
    (nn.Conv2d(4, 4, 3), True),
    (SubPixelConvTranspose2d(4, 4, 4, stride=2, padding=1, groups=2), True),
    (_ConvSubclass(4, 4, 3), False),
    (nn.Conv2d(4, 4, 3, padding=1, padding_mode='reflect'), False),
    (nn.Conv2d(4, 4, 3, padding='same'), False),
    (nn.Conv2d(4, 4, 3).double(), False),
    (nn.Conv1d(4, 4, 3), False),
    (nn.ConvTranspose2d(4, 4, 4, stride=2, padding=1), False),
])
def test_can_pack(module, expected):
    assert can_pack(module) is expected


class _Net(nn.Module):

    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, 2, 1), nn.ReLU())
        self.up = SubPixelConvTranspose2d(
            8, 8, 4, stride=2, padding=1, groups=4)
        self.odd = _ConvSubclass(8, 8, 1)
        self.unused = nn.Conv2d(8, 8, 1)

    def forward(self, x):
        return self.odd(self.up(self.stem(x)))


def test_pack_convolutions_replaces_what_runs_and_nothing_else():
    torch.manual_seed(0)
    net = _Net().eval()
    x = rand(2, 3, 16, 16)
    with torch.no_grad():
        expected = net(x)
    assert pack_convolutions(net, x[:1]) == 2
    assert isinstance(net.stem[0], PackedConv2d)
    assert isinstance(net.up[0], PackedConv2d)  # sub-pixel conv + shuffle
    assert isinstance(net.up[1], nn.PixelShuffle)
    assert type(net.odd) is _ConvSubclass  # own forward: left
    assert type(net.unused) is nn.Conv2d  # never ran: left
    with torch.no_grad():
        torch.testing.assert_close(net(x), expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize('example', [
    torch.rand(1, 3, 16, 16, dtype=torch.float64),
    torch.rand(1, 3, 16, 16).to(torch.bfloat16),
])
def test_nothing_is_packed_for_an_input_onednn_packing_does_not_serve(example):
    net = _Net().to(example.dtype)
    assert pack_convolutions(net, example) == 0
    assert type(net.stem[0]) is nn.Conv2d


def test_nothing_is_packed_without_onednn(monkeypatch):
    monkeypatch.setattr(torch.backends.mkldnn, 'is_available', lambda: False)
    net = _Net()
    assert pack_convolutions(net, torch.rand(1, 3, 16, 16)) == 0
    assert type(net.stem[0]) is nn.Conv2d


def test_every_convolution_of_levitpose_t_is_packed(levitpose_t_config,
                                                    randomize_norms):
    torch.manual_seed(0)
    model = init_pose_model(levitpose_t_config).eval()
    randomize_norms(model)
    deployed = TensorExportWrapper(fuse_for_deploy(model))
    x = rand(1, 3, 256, 256)
    with torch.no_grad():
        expected = deployed(x)
    assert pack_convolutions(deployed, x) > 60
    # none left that runs (the deployed attention reads its reduction
    # convolutions' weights as a linear: those stay, never called)
    called = []
    for module in deployed.modules():
        if can_pack(module):
            module.register_forward_hook(lambda m, *_: called.append(m))
    with torch.no_grad():
        got = deployed(x)
    assert not called
    torch.testing.assert_close(got, expected, rtol=0, atol=1e-4)


def test_optimize_for_cpu_can_leave_the_weights_plain(levitpose_t_config):
    model = init_pose_model(levitpose_t_config).eval()
    plain = optimize_for_cpu(model, (1, 3, 64, 64), pack_weights=False)
    packed = optimize_for_cpu(model, (1, 3, 64, 64))
    graphs = {
        name: str(fast.graph)
        for name, fast in (('plain', plain), ('packed', packed))
    }
    assert 'mkldnn::_convolution_pointwise' not in graphs['plain']
    assert 'aten::_convolution' not in graphs['packed']
    assert 'mkldnn::_convolution_pointwise' in graphs['packed']


def test_a_trace_without_packing_can_be_saved(levitpose_t_config, tmp_path):
    """The packed trace holds oneDNN's opaque tensors, which jit.save
    cannot write (documented); pack_weights=False gives one it can."""
    model = init_pose_model(levitpose_t_config).eval()
    x = rand(1, 3, 64, 64)
    packed = optimize_for_cpu(model, tuple(x.shape))
    with pytest.raises(NotImplementedError, match='OpaqueTensorImpl'):
        torch.jit.save(packed, str(tmp_path / 'packed.pt'))
    plain = optimize_for_cpu(model, tuple(x.shape), pack_weights=False)
    torch.jit.save(plain, str(tmp_path / 'plain.pt'))
    loaded = torch.jit.load(str(tmp_path / 'plain.pt'))
    with torch.no_grad():
        torch.testing.assert_close(loaded(x), packed(x), rtol=0, atol=1e-4)


def test_no_torchscript_deprecation_notice_reaches_the_user(
        levitpose_t_config):
    model = init_pose_model(levitpose_t_config).eval()
    packed_conv._scripted_conv.cache_clear()  # script it again here
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        optimize_for_cpu(model, (1, 3, 64, 64))
    notices = [
        str(w.message) for w in caught if issubclass(w.category, FutureWarning)
        and 'torch.jit' in str(w.message)
    ]
    assert not notices


@pytest.mark.parametrize(
    'spec',
    [m for m in BENCHMARK_MODELS if not m.name.startswith('LEViTPose')],
    ids=lambda m: m.name)
def test_every_benchmark_peer_traced_and_packed_matches(
        spec, repo_root, randomize_norms):
    """The benchmark's jit column packs every model alike: each one's
    output must stay its training graph's."""
    torch.manual_seed(0)
    config = config_path(spec.config, str(repo_root))
    model = init_pose_model(config).eval()
    randomize_norms(model)
    w, h = load_config(config).codec['input_size']
    x = rand(1, 3, h, w)
    fast = optimize_for_cpu(model, tuple(x.shape))
    with torch.no_grad():
        expected = model(x, None, 'tensor')
        got = fast(x)
    if isinstance(expected, torch.Tensor):
        expected, got = (expected, ), (got, )
    for want, have in zip(expected, got):
        scale = want.abs().max().item()
        torch.testing.assert_close(
            have, want, rtol=1e-4, atol=1e-4 * max(scale, 1.))
