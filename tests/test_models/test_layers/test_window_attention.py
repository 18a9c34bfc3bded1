"""Tests of EfficientViT's window attention and patch merging layers."""
import pytest
import torch

from levitpose.models.layers import (CascadedGroupAttention,
                                     LocalWindowAttention, PatchMerging)


def test_bias_index_is_symmetric_offset_table():
    attn = CascadedGroupAttention(16, 4, 2, 3, (3, 3))
    idx = attn.bias_idxs
    assert idx.shape == (9, 9)
    assert torch.equal(idx, idx.T)
    assert attn.attention_biases.shape == (2, 9)  # 3x3 distinct offsets
    assert 'bias_idxs' not in attn.state_dict()


@pytest.mark.parametrize('hw', [(7, 7), (10, 5), (16, 12)])
def test_window_attention_any_size(hw):
    attn = LocalWindowAttention(16, 4, 2, window=7, kernels=(3, 3)).eval()
    x = torch.rand(2, 16, *hw)
    assert attn(x).shape == x.shape


def test_windows_do_not_mix():
    """A change in one window leaves the other windows' outputs alone."""
    attn = LocalWindowAttention(8, 4, 2, window=4, kernels=(3, 3)).eval()
    torch.nn.init.constant_(attn.attn.proj.bn.weight, 1.)
    x = torch.rand(1, 8, 8, 8)
    y = x.clone()
    y[..., :4, :4] += 1.
    out_x, out_y = attn(x), attn(y)
    torch.testing.assert_close(out_x[..., 4:, :], out_y[..., 4:, :])
    assert not torch.allclose(out_x[..., :4, :4], out_y[..., :4, :4])


def test_bad_heads_raise():
    with pytest.raises(ValueError, match='num_heads'):
        CascadedGroupAttention(15, 4, 2, 7, (5, 5))


def test_patch_merging_halves():
    merge = PatchMerging(8, 16)
    assert merge(torch.rand(1, 8, 9, 6)).shape == (1, 16, 5, 3)
    assert merge.se.fc1.out_channels == 8
