"""Tests of LStem and its parts (layers/lstem.py): depthwise separable
convolution, channel shuffle and parallel multi-scale depthwise kernels."""
import pytest
import torch
from torch import nn

from levitpose.models.layers import ConvBN, LStem
from levitpose.models.layers.lstem import ChannelShuffle, MultiScaleDWConv


def record_calls(model, types):
    """Names of the modules of ``types`` in the order they run."""
    calls = []
    for name, module in model.named_modules():
        if isinstance(module, types):
            module.register_forward_hook(
                lambda m, i, o, name=name: calls.append(name))
    return calls


def test_channel_shuffle_interleaves_groups():
    x = torch.arange(8.).view(1, 8, 1, 1).expand(2, 8, 3, 2)
    out = ChannelShuffle(2)(x)
    assert out[0, :, 0, 0].tolist() == [0, 4, 1, 5, 2, 6, 3, 7]
    assert out.shape == x.shape


def test_channel_shuffle_three_groups():
    x = torch.arange(6.).view(1, 6, 1, 1)
    assert ChannelShuffle(3)(x).flatten().tolist() == [0, 2, 4, 1, 3, 5]


def view_shuffle(x, groups):
    """The shuffle as ShuffleNet writes it (the form ONNX export keeps)."""
    B, C, H, W = x.shape
    return x.view(B, groups, C // groups, H,
                  W).transpose(1, 2).reshape(B, C, H, W)


@pytest.mark.parametrize('channels_last', [False, True])
def test_channel_shuffle_keeps_the_memory_layout(channels_last):
    """A channels-last map stays channels-last: the view-and-reshape form
    returned NCHW, and every layer after LStem then ran in NCHW."""
    x = torch.randn(2, 12, 5, 7)
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    x.requires_grad_()
    out = ChannelShuffle(3)(x)
    assert torch.equal(out, view_shuffle(x, 3))
    fmt = torch.channels_last if channels_last else torch.contiguous_format
    assert out.is_contiguous(memory_format=fmt)
    weight = torch.randn(out.shape)
    (grad, ) = torch.autograd.grad((out * weight).sum(), x)
    (want, ) = torch.autograd.grad((view_shuffle(x, 3) * weight).sum(), x)
    assert torch.equal(grad, want)


@pytest.mark.parametrize('groups', [1, 0])
def test_channel_shuffle_needs_two_groups(groups):
    with pytest.raises(ValueError, match='groups'):
        ChannelShuffle(groups)


def test_multi_scale_branches_are_depthwise_with_kernels_3_5_7():
    layer = MultiScaleDWConv(8)
    convs = [branch.conv for branch in layer.branches]
    assert [c.kernel_size for c in convs] == [(3, 3), (5, 5), (7, 7)]
    assert all(c.groups == c.in_channels == c.out_channels == 8 for c in convs)


def test_multi_scale_branches_run_in_parallel_on_the_input(randomize_bn):
    layer = randomize_bn(MultiScaleDWConv(4)).eval()
    x = torch.rand(2, 4, 9, 7)
    expected = sum(branch(x) for branch in layer.branches)
    torch.testing.assert_close(layer(x), expected)


@pytest.mark.parametrize('stride', [1, 2])
def test_multi_scale_fuse_equals_sum_of_branches(stride, randomize_bn):
    layer = randomize_bn(MultiScaleDWConv(6, stride=stride)).eval()
    x = torch.rand(2, 6, 10, 7)
    fused = layer.fuse()
    assert type(fused) is nn.Conv2d
    assert fused.kernel_size == (7, 7) and fused.groups == 6
    torch.testing.assert_close(fused(x), layer(x), rtol=0, atol=1e-5)


def test_multi_scale_stride_2_halves():
    layer = MultiScaleDWConv(4, stride=2)
    assert layer(torch.rand(1, 4, 10, 7)).shape == (1, 4, 5, 4)


@pytest.mark.parametrize('kernels', [(3, ), (3, 4), (0, 3), ()])
def test_multi_scale_bad_kernels_raise(kernels):
    with pytest.raises(ValueError, match='kernels'):
        MultiScaleDWConv(4, kernels)


def test_lstem_has_stride_2():
    stem = LStem(3, 16)
    assert stem(torch.rand(2, 3, 64, 48)).shape == (2, 16, 32, 24)
    assert stem.stride == 2


def test_lstem_branch_is_pointwise_depthwise_pointwise():
    stem = LStem(3, 16)
    calls = record_calls(stem, (ConvBN, ))
    stem(torch.rand(1, 3, 16, 16))
    assert calls == [
        'conv', 'pw1', 'dw.branches.0', 'dw.branches.1', 'dw.branches.2', 'pw2'
    ]
    for pointwise in (stem.pw1.conv, stem.pw2.conv):
        assert pointwise.kernel_size == (1, 1) and pointwise.groups == 1
    assert all(b.conv.groups == 8 for b in stem.dw.branches)


def test_lstem_forwards_its_kernels():
    stem = LStem(3, 8, kernels=(3, 9))
    assert stem.dw.kernels == (3, 9)


def test_lstem_shuffles_kept_half_with_branch():
    """Even output channels are the untouched half of the first conv's
    output, odd ones the depthwise separable branch."""
    stem = LStem(3, 8).eval()
    x = torch.rand(1, 3, 16, 12)
    first = stem.act(stem.conv(x))
    out = stem(x)
    torch.testing.assert_close(out[:, 0::2], first[:, :4])
    branch = stem.act(stem.pw2(stem.dw(stem.act(stem.pw1(first[:, 4:])))))
    torch.testing.assert_close(out[:, 1::2], branch)


@pytest.mark.parametrize('channels', [7, 15])
def test_lstem_odd_channels_raise(channels):
    with pytest.raises(ValueError, match='even'):
        LStem(3, channels)


def test_lstem_fuses_to_convolutions(assert_fuses):
    stem = assert_fuses(LStem(3, 16), torch.rand(1, 3, 32, 24))
    assert type(stem.dw) is nn.Conv2d


def test_fold_shuffle_into_the_next_conv_is_exact_and_idempotent():
    torch.manual_seed(0)
    stem, conv = LStem(3, 8).eval(), nn.Conv2d(8, 6, 3, stride=2, padding=1)
    x = torch.rand(2, 3, 16, 12)
    with torch.no_grad():
        expected = conv(stem(x))
        stem.fold_shuffle(conv)
        folded = conv.weight.clone()
        assert not any(isinstance(m, ChannelShuffle) for m in stem.modules())
        torch.testing.assert_close(conv(stem(x)), expected, rtol=0, atol=1e-6)
        stem.fold_shuffle(conv)  # a second call changes nothing
    assert torch.equal(conv.weight, folded)


@pytest.mark.parametrize(
    'conv',
    [nn.Conv2d(8, 8, 3, groups=2),
     nn.Conv2d(4, 8, 1),
     nn.Linear(8, 8)],
    ids=['grouped', 'other-width', 'not-a-conv'])
def test_fold_shuffle_refuses_what_it_cannot_fold(conv):
    stem = LStem(3, 8)
    with pytest.raises(ValueError, match='ungrouped Conv2d reading 8'):
        stem.fold_shuffle(conv)
    assert isinstance(stem.shuffle, ChannelShuffle)


def test_a_state_dict_without_the_fold_does_not_load_into_the_folded_form():
    """A deployed checkpoint saved before the fold existed has the OPE
    weights unpermuted: it must be refused, not give wrong outputs."""
    stem, conv = LStem(3, 8).eval(), nn.Conv2d(8, 6, 1)
    stem.fold_shuffle(conv)
    state = stem.state_dict()
    assert 'shuffle_folded' in state
    del state['shuffle_folded']
    with pytest.raises(RuntimeError, match='shuffle_folded'):
        stem.load_state_dict(state, strict=True)
