"""Tests of CGSR-MHA (cascaded group spatial-reduction attention)."""
import pytest
import torch
from torch import nn

from levitpose.models.layers import CascadedGroupSRAttention


def make(dim=32, groups=2, key_dim=8, sr=4):
    torch.manual_seed(0)
    attn = CascadedGroupSRAttention(dim, groups, key_dim, sr)
    nn.init.constant_(attn.proj.bn.weight, 1.)  # undo the zero init
    return attn.eval()


@pytest.mark.parametrize('sr', [1, 2, 4])
@pytest.mark.parametrize('hw', [(16, 16), (16, 12), (8, 24)])
def test_shape_kept_for_any_size(sr, hw):
    x = torch.rand(2, 32, *hw)
    assert make(sr=sr)(x).shape == x.shape


def test_keys_values_are_reduced():
    attn = make(sr=4)
    tokens = attn._keys_values(torch.rand(1, 16, 16, 12), 0)
    assert tokens.shape == (1, 4 * 3, 8 + 16)


def test_no_reduction_has_no_norm():
    attn = make(sr=1)
    assert attn.reductions is None and attn.norms is None
    tokens = attn._keys_values(torch.rand(1, 16, 4, 4), 0)
    assert tokens.shape == (1, 16, 24)


def test_cascade_feeds_later_groups():
    """Changing group 0's channels changes group 1's output."""
    attn = make()
    outs = {}
    attn.queries[1].register_forward_hook(
        lambda m, i, o: outs.setdefault('q1', []).append(o))
    x = torch.rand(1, 32, 8, 8)
    y = x.clone()
    y[:, :16] += 1.
    attn(x)
    attn(y)
    assert not torch.allclose(outs['q1'][0], outs['q1'][1])


def test_group_0_ignores_later_channels():
    """Without the cascade direction reversed, group 1's channels do not
    reach group 0."""
    attn = make()
    outs = []
    attn.queries[0].register_forward_hook(lambda m, i, o: outs.append(o))
    x = torch.rand(1, 32, 8, 8)
    y = x.clone()
    y[:, 16:] += 1.
    attn(x)
    attn(y)
    torch.testing.assert_close(outs[0], outs[1])


def test_attention_rows_are_convex_combinations():
    """Outputs of a group lie within the range of its values."""
    attn = make(dim=8, groups=1, key_dim=4, sr=2)
    x = torch.rand(1, 8, 8, 8)
    values = []
    attn.key_values[0].register_forward_hook(
        lambda m, i, o: values.append(o[..., 4:]))
    captured = []
    attn.act.register_forward_hook(lambda m, i, o: captured.append(i[0]))
    attn(x)
    v, out = values[0], captured[0].flatten(2).transpose(1, 2)
    assert (out <= v.amax(1, keepdim=True) + 1e-5).all()
    assert (out >= v.amin(1, keepdim=True) - 1e-5).all()


@pytest.mark.parametrize('args, match', [((30, 4, 8, 2), 'divisible'),
                                         ((32, 4, 8, 0), 'sr_ratio')])
def test_bad_arguments_raise(args, match):
    with pytest.raises(ValueError, match=match):
        CascadedGroupSRAttention(*args)
