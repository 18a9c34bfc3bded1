"""Tests of EfficientViT's subsample block (layers/patch_merging.py)."""
import pytest
import torch

from levitpose.models.layers import Subsample
from levitpose.models.layers.block import Residual
from levitpose.models.layers.patch_merging import PatchMerging, SqueezeExcite


def test_squeeze_excite_gates_channels():
    torch.manual_seed(0)
    se = SqueezeExcite(6, 4)
    x = torch.rand(2, 6, 5, 3)
    hidden = torch.relu(se.fc1(x.mean((2, 3), keepdim=True)))
    expected = x * torch.sigmoid(se.fc2(hidden))
    torch.testing.assert_close(se(x), expected)


@pytest.mark.parametrize('hw, out_hw', [((8, 6), (4, 3)), ((9, 6), (5, 3))])
def test_patch_merging_halves(hw, out_hw):
    merge = PatchMerging(8, 16)
    assert merge(torch.rand(1, 8, *hw)).shape == (1, 16, *out_hw)


def test_patch_merging_structure():
    merge = PatchMerging(8, 16, expand_ratio=4)
    assert merge.expand.conv.out_channels == 32
    dw = merge.dw.conv
    assert dw.groups == 32 and dw.kernel_size == (3, 3)
    assert dw.stride == (2, 2)
    assert merge.se.fc1.out_channels == 8  # 32 * 0.25
    assert merge.reduce.conv.out_channels == 16


@pytest.mark.parametrize('in_channels, reduced', [(4, 8), (30, 32), (48, 48)])
def test_se_width_rounds_to_multiple_of_8(in_channels, reduced):
    assert PatchMerging(in_channels, 8).se.fc1.out_channels == reduced


@pytest.mark.parametrize('hw', [(16, 12), (7, 5)])
def test_subsample_halves(hw):
    sub = Subsample(8, 16)
    h, w = hw
    out = sub(torch.rand(2, 8, h, w))
    assert out.shape == (2, 16, -(-h // 2), -(-w // 2))
    assert sub.stride == 2


def test_subsample_is_dw_ffn_merge_dw_ffn():
    sub = Subsample(8, 16, ffn_ratio=3)
    assert [name for name, _ in sub.named_children()
            ] == ['pre_dw', 'pre_ffn', 'merge', 'post_dw', 'post_ffn']
    for part in (sub.pre_dw, sub.pre_ffn, sub.post_dw, sub.post_ffn):
        assert isinstance(part, Residual)
    assert sub.pre_dw.fn.conv.groups == 8
    assert sub.post_dw.fn.conv.groups == 16
    assert sub.pre_ffn.fn.expand.conv.out_channels == 24
    assert sub.post_ffn.fn.expand.conv.out_channels == 48


def test_subsample_fuses(assert_fuses):
    assert_fuses(Subsample(8, 16), torch.rand(1, 8, 10, 6))
