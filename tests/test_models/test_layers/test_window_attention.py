"""Tests of EfficientViT's cascaded group attention in local windows
(layers/window_attention.py)."""
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from levitpose.models.layers import LocalWindowAttention
from levitpose.models.layers.window_attention import CascadedGroupAttention


def make_window_attention(randomize_bn, window=7, resolution=None):
    """Window attention with random BN (a fresh output BN is zero) and
    random attention biases."""
    torch.manual_seed(0)
    attn = LocalWindowAttention(
        8, 4, 2, window=window, kernels=(3, 3), resolution=resolution)
    nn.init.normal_(attn.attn.attention_biases)
    return randomize_bn(attn).eval()


def attended_shapes(attn, x, monkeypatch):
    """Shapes the inner attention sees for ``attn(x)``, and whether the
    map was zero-padded."""
    shapes, padded = [], []
    pad = F.pad

    def spy(*args, **kwargs):
        padded.append(True)
        return pad(*args, **kwargs)

    monkeypatch.setattr(F, 'pad', spy)
    handle = attn.attn.register_forward_hook(
        lambda m, i, o: shapes.append(tuple(i[0].shape)))
    out = attn(x)
    handle.remove()
    assert out.shape == x.shape
    return shapes, bool(padded)


@pytest.mark.parametrize('resolution, window', [((16, 16), 7), ((64, 48), 7),
                                                ((5, 5), 5), ((3, 3), 3)])
def test_window_is_min_of_window_and_resolution(resolution, window):
    attn = LocalWindowAttention(8, 4, 2, 7, (3, 3), resolution=resolution)
    assert attn.window == window
    assert attn.attn.attention_biases.shape == (2, window * window)


def test_without_resolution_window_is_kept():
    assert LocalWindowAttention(8, 4, 2, 7, (3, 3)).window == 7


@pytest.mark.parametrize('hw', [(5, 5), (7, 7), (6, 4)])
def test_map_that_fits_is_attended_whole_without_padding(
        hw, randomize_bn, monkeypatch):
    attn = make_window_attention(randomize_bn, resolution=hw)
    shapes, padded = attended_shapes(attn, torch.rand(2, 8, *hw), monkeypatch)
    assert shapes == [(2, 8, *hw)]
    assert not padded


def test_larger_map_is_padded_and_split(randomize_bn, monkeypatch):
    attn = make_window_attention(randomize_bn, resolution=(16, 12))
    shapes, padded = attended_shapes(attn, torch.rand(2, 8, 16, 12),
                                     monkeypatch)
    assert shapes == [(2 * 3 * 2, 8, 7, 7)]  # 21x14 padded: 3x2 windows
    assert padded


def test_whole_map_attention_reaches_far_corner(randomize_bn):
    attn = make_window_attention(randomize_bn, resolution=(7, 7))
    x = torch.rand(1, 8, 7, 7)
    y = x.clone()
    y[..., 6, 6] += 1.
    assert not torch.allclose(attn(x)[..., 0, 0], attn(y)[..., 0, 0])


def test_windows_do_not_mix(randomize_bn):
    """A change in one window leaves the other windows' outputs alone."""
    attn = make_window_attention(randomize_bn, window=4, resolution=(8, 8))
    x = torch.rand(1, 8, 8, 8)
    y = x.clone()
    y[..., :4, :4] += 1.
    out_x, out_y = attn(x), attn(y)
    torch.testing.assert_close(out_x[..., 4:, :], out_y[..., 4:, :])
    torch.testing.assert_close(out_x[..., :4, 4:], out_y[..., :4, 4:])
    assert not torch.allclose(out_x[..., :4, :4], out_y[..., :4, :4])


@pytest.mark.parametrize('hw', [(10, 5), (16, 12), (7, 15)])
def test_any_map_size_keeps_shape(hw, randomize_bn):
    attn = make_window_attention(randomize_bn)
    x = torch.rand(2, 8, *hw)
    assert attn(x).shape == x.shape


def test_bias_table_has_one_entry_per_offset():
    attn = CascadedGroupAttention(16, 4, 2, 3, (3, 3))
    idx = attn.bias_idxs
    assert attn.attention_biases.shape == (2, 9)  # 3x3 offsets (|dy|, |dx|)
    assert idx.shape == (9, 9)
    ys, xs = torch.arange(9) // 3, torch.arange(9) % 3
    expected = ((ys[:, None] - ys).abs() * 3 + (xs[:, None] - xs).abs())
    assert torch.equal(idx, expected)
    assert 'bias_idxs' not in attn.state_dict()


def test_smaller_map_indexes_the_same_table():
    attn = CascadedGroupAttention(16, 4, 2, 3, (3, 3))
    nn.init.normal_(attn.attention_biases)
    bias = attn._bias(2, 3)  # positions (0,0) (0,1) (0,2) (1,0) (1,1) (1,2)
    assert bias.shape == (2, 6, 6)
    table = attn.attention_biases
    torch.testing.assert_close(bias[:, 0, 5], table[:, 1 * 3 + 2])
    torch.testing.assert_close(bias[:, 4, 3], table[:, 0 * 3 + 1])


def test_attention_biases_change_the_output(randomize_bn):
    attn = make_window_attention(randomize_bn, resolution=(7, 7))
    x = torch.rand(1, 8, 7, 7)
    expected = attn(x)
    with torch.no_grad():
        attn.attn.attention_biases[:, 1:] += 3.
    assert not torch.allclose(attn(x), expected)


def test_switch_to_deploy_gathers_biases(randomize_bn):
    attn = make_window_attention(randomize_bn, resolution=(7, 7))
    x = torch.rand(2, 8, 7, 7)
    expected = attn(x)
    attn.attn.switch_to_deploy()
    attn.attn.switch_to_deploy()
    assert attn.attn.attention_bias.shape == (2, 49, 49)
    torch.testing.assert_close(attn(x), expected)


def test_cascade_feeds_later_heads(randomize_bn):
    attn = randomize_bn(CascadedGroupAttention(8, 4, 2, 5, (3, 3))).eval()
    outputs = []
    attn.qkvs[1].register_forward_hook(lambda m, i, o: outputs.append(i[0]))
    x = torch.rand(1, 8, 5, 5)
    y = x.clone()
    y[:, :4] += 1.  # head 0's channels
    attn(x)
    attn(y)
    assert not torch.allclose(outputs[0], outputs[1])


def test_query_depthwise_kernels_per_head():
    attn = CascadedGroupAttention(12, 4, 3, 7, (3, 5, 7))
    assert [dw.conv.kernel_size[0] for dw in attn.dws] == [3, 5, 7]
    assert all(dw.conv.groups == 4 for dw in attn.dws)


@pytest.mark.parametrize('dim, kernels', [(15, (5, 5)), (16, (5, ))])
def test_bad_heads_raise(dim, kernels):
    with pytest.raises(ValueError, match='num_heads'):
        CascadedGroupAttention(dim, 4, 2, 7, kernels)
