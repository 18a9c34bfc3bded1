"""Tests of CGSLRA (layers/cgslra.py): cascaded groups, keys/values from a
spatially linearly reduced map, LayerNorm on Q/K/V, intra-group reduction."""
import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from levitpose.models.backbones import LEViTPose
from levitpose.models.layers import CGSLRA, SpatialLinearReduction


def make_attention(dim=32, num_groups=4, key_dim=4, heads=2, pool=3):
    """A CGSLRA whose output projection is not zero (a fresh one's is)."""
    torch.manual_seed(0)
    attn = CGSLRA(dim, num_groups, key_dim, heads, pool)
    nn.init.uniform_(attn.proj.bn.weight, 0.5, 1.5)
    return attn.eval()


def record_inputs(modules):
    """Shapes of the first input of every call of ``modules``."""
    shapes = []
    for module in modules:
        module.register_forward_hook(
            lambda m, i, o: shapes.append(tuple(i[0].shape)))
    return shapes


def group_outputs(attn, x):
    """``attn(x)``'s per-group outputs (of the ``out`` Linears)."""
    outputs = []
    handles = [
        linear.register_forward_hook(lambda m, i, o: outputs.append(o))
        for linear in attn.out
    ]
    attn(x)
    for handle in handles:
        handle.remove()
    return outputs


def test_reduction_is_pool_conv1x1_layernorm_gelu():
    slr = SpatialLinearReduction(8, 5)
    assert type(slr.pool) is nn.AdaptiveAvgPool2d
    assert slr.pool.output_size == 5
    assert type(slr.sr) is nn.Conv2d and slr.sr.kernel_size == (1, 1)
    assert type(slr.norm) is nn.LayerNorm
    assert slr.norm.normalized_shape == (8, )
    assert type(slr.act) is nn.GELU


def test_reduction_computes_gelu_ln_conv_of_pooled_map():
    torch.manual_seed(0)
    slr = SpatialLinearReduction(8, 3)
    nn.init.uniform_(slr.norm.weight, 0.5, 1.5)
    nn.init.normal_(slr.norm.bias)
    x = torch.rand(2, 8, 13, 10)
    pooled = F.adaptive_avg_pool2d(x, 3)
    tokens = slr.sr(pooled).flatten(2).transpose(1, 2)
    expected = F.gelu(
        F.layer_norm(tokens, (8, ), slr.norm.weight, slr.norm.bias))
    torch.testing.assert_close(slr(x), expected)


@pytest.mark.parametrize('hw', [(4, 4), (14, 14), (40, 24)])
def test_reduction_gives_pool_size_squared_tokens(hw):
    assert SpatialLinearReduction(8, 7)(torch.rand(2, 8,
                                                   *hw)).shape == (2, 49, 8)


@pytest.mark.parametrize('hw', [(8, 8), (16, 12), (32, 24)])
def test_key_count_is_independent_of_input_size(hw):
    attn = make_attention(pool=3)
    kv_inputs = record_inputs(attn.kv)
    q_inputs = record_inputs(attn.q)
    attn(torch.rand(2, 32, *hw))
    assert kv_inputs == [(2, 9, 8)] * 4  # 3x3 pooled tokens per group
    assert q_inputs == [(2, hw[0] * hw[1], 8)] * 4  # every position


def test_qkv_are_layer_normed():
    attn = make_attention()
    assert [m.normalized_shape for m in attn.q_norm] == [(4, )] * 4
    assert [m.normalized_shape for m in attn.k_norm] == [(4, )] * 4
    assert [m.normalized_shape for m in attn.v_norm] == [(8, )] * 4
    calls = record_inputs([*attn.q_norm, *attn.k_norm, *attn.v_norm])
    attn(torch.rand(1, 32, 6, 5))
    assert len(calls) == 12


def test_output_is_invariant_to_scaling_qkv_projections():
    """LayerNorm after the Q and K/V projections cancels their scale."""
    attn = make_attention()
    x = torch.rand(2, 32, 6, 5)
    expected = attn(x)
    with torch.no_grad():
        for linear in (*attn.q, *attn.kv):
            linear.weight.mul_(3.)
            linear.bias.mul_(3.)
    # LayerNorm's eps makes the invariance approximate
    torch.testing.assert_close(attn(x), expected, rtol=1e-3, atol=1e-4)


def test_cascade_feeds_later_groups():
    attn = make_attention()
    x = torch.rand(1, 32, 6, 5)
    y = x.clone()
    y[:, :8] += 1.  # group 0's channels only
    outs_x, outs_y = group_outputs(attn, x), group_outputs(attn, y)
    for group in (1, 2, 3):
        assert not torch.allclose(outs_x[group], outs_y[group])


def test_group_0_ignores_later_channels():
    attn = make_attention()
    x = torch.rand(1, 32, 6, 5)
    y = x.clone()
    y[:, 8:] += 1.  # every channel but group 0's
    outs_x, outs_y = group_outputs(attn, x), group_outputs(attn, y)
    torch.testing.assert_close(outs_x[0], outs_y[0], rtol=0, atol=0)
    assert not torch.allclose(outs_x[1], outs_y[1])


def reference_cgslra(attn, x):
    """CGSLRA written out group by group and head by head."""
    B, C, H, W = x.shape
    G, h = attn.num_groups, attn.heads
    slices = x.chunk(G, dim=1)
    outs, prev = [], None
    for i in range(G):
        feat = slices[i] if i == 0 else slices[i] + prev
        c = feat.shape[1]
        tokens = feat.flatten(2).transpose(1, 2)  # (B, N, c)
        q = attn.q_norm[i](attn.q[i](tokens))
        pooled = F.adaptive_avg_pool2d(feat, attn.reduce[i].pool.output_size)
        reduced = attn.reduce[i].sr(pooled).flatten(2).transpose(1, 2)
        reduced = F.gelu(attn.reduce[i].norm(reduced))
        kv = attn.kv[i](reduced)
        k = attn.k_norm[i](kv[..., :attn.key_dim])
        v = attn.v_norm[i](kv[..., attn.key_dim:])
        dk, dv = attn.key_dim // h, c // h
        heads = []
        for j in range(h):
            qj = q[..., j * dk:(j + 1) * dk]
            kj = k[..., j * dk:(j + 1) * dk]
            vj = v[..., j * dv:(j + 1) * dv]
            scores = qj @ kj.transpose(1, 2) / math.sqrt(dk)
            heads.append(scores.softmax(-1) @ vj)
        out = attn.out[i](torch.cat(heads, dim=-1))
        prev = out.transpose(1, 2).reshape(B, c, H, W)
        outs.append(prev)
    return attn.proj(F.relu(torch.cat(outs, dim=1)))


@pytest.mark.parametrize('heads', [1, 2, 4])
def test_matches_reference_computation(heads, randomize_bn):
    """Groups cascade; each splits Q/K into ``heads`` heads of
    ``key_dim / heads`` channels and V into ``group_dim / heads``."""
    attn = randomize_bn(make_attention(dim=48, key_dim=8, heads=heads))
    x = torch.randn(2, 48, 7, 5)
    torch.testing.assert_close(attn(x), reference_cgslra(attn, x))


@pytest.mark.parametrize('hw', [(7, 7), (16, 12), (3, 2)])
def test_output_keeps_shape(hw):
    x = torch.rand(2, 32, *hw)
    assert make_attention()(x).shape == x.shape


def test_fresh_attention_outputs_zero():
    attn = CGSLRA(16, 4, 2, 2, 3).eval()
    assert not attn(torch.rand(1, 16, 5, 5)).any()


@pytest.mark.parametrize('arch', ['tiny', 'small'])
def test_zoo_reduces_qk_dim_below_group_width(arch):
    model = LEViTPose(arch)
    attns = [m for m in model.modules() if isinstance(m, CGSLRA)]
    assert len(attns) == 6
    for attn in attns:
        assert attn.key_dim < attn.group_dim
        assert all(q.out_features == attn.key_dim for q in attn.q)
        assert all(q.in_features == attn.group_dim for q in attn.q)


@pytest.mark.parametrize('kwargs, match', [
    (dict(dim=18, num_groups=4, key_dim=4), 'num_groups'),
    (dict(dim=16, num_groups=4, key_dim=3), 'heads_per_group'),
    (dict(dim=24, num_groups=4, key_dim=4,
          heads_per_group=4), 'heads_per_group'),
])
def test_bad_arguments_raise(kwargs, match):
    with pytest.raises(ValueError, match=match):
        CGSLRA(**kwargs)
