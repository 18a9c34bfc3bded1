"""Tests of the overlapping patch embedding and the baseline's stride-4
stem (layers/patch_embed.py)."""
import pytest
import torch
from torch import nn

from levitpose.models.layers import ConvBN, ConvStem, OverlapPatchEmbed


def test_ope_patches_overlap():
    conv = OverlapPatchEmbed(8, 16).conv
    assert conv.kernel_size == (3, 3) and conv.stride == (2, 2)
    assert conv.kernel_size[0] > conv.stride[0]  # neighbouring patches share
    assert conv.padding == (1, 1) and conv.groups == 1


@pytest.mark.parametrize(
    'cls, in_shape, out_shape, stride',
    [
        (OverlapPatchEmbed, (2, 8, 16, 11), (2, 16, 8, 6), 2),  # odd: ceil
        (ConvStem, (2, 3, 64, 48), (2, 32, 16, 12), 4),
    ])
def test_embeds_at_its_stride(cls, in_shape, out_shape, stride):
    layer = cls(in_shape[1], out_shape[1])
    assert layer(torch.rand(*in_shape)).shape == out_shape
    assert layer.stride == stride


def test_ope_fuses_like_conv_bn(randomize_bn):
    ope = randomize_bn(OverlapPatchEmbed(4, 8)).eval()
    assert isinstance(ope, ConvBN)
    x = torch.rand(1, 4, 10, 10)
    torch.testing.assert_close(ope.fuse()(x), ope(x), rtol=0, atol=1e-5)


def test_conv_stem_doubles_width_with_relu_between():
    stem = ConvStem(3, 32)
    calls = []
    for name in ('conv', 'act', 'embed'):
        getattr(stem, name).register_forward_hook(
            lambda m, i, o, name=name: calls.append((name, o.shape[1])))
    stem(torch.rand(1, 3, 16, 16))
    assert calls == [('conv', 16), ('act', 16), ('embed', 32)]
    assert type(stem.act) is nn.ReLU
    assert isinstance(stem.embed, OverlapPatchEmbed)
