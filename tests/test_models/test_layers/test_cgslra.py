"""Tests of CGSLRA (layers/cgslra.py): cascaded groups, keys/values from a
spatially linearly reduced map, LayerNorm on Q/K/V, intra-group reduction."""
import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from levitpose.models.backbones import LEViTPose
from levitpose.models.layers import CGSLRA
from levitpose.models.layers.cgslra import SpatialLinearReduction


def make_attention(dim=32,
                   num_groups=4,
                   key_dim=4,
                   heads=2,
                   pool=3,
                   **options):
    """A CGSLRA whose output projection is not zero (a fresh one's is) and
    whose LayerNorms are not the identity affine."""
    torch.manual_seed(0)
    attn = CGSLRA(dim, num_groups, key_dim, heads, pool, **options)
    nn.init.uniform_(attn.proj.bn.weight, 0.5, 1.5)
    for module in attn.modules():
        if isinstance(module, nn.LayerNorm):
            nn.init.uniform_(module.weight, 0.5, 1.5)
            nn.init.normal_(module.bias, std=0.1)
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


def conv_bn_tokens(conv_bn, tokens, h, w):
    """An eval-mode ConvBN applied with ``F.conv2d``/``F.batch_norm`` to
    tokens ``(B, h * w, c)`` laid out as an ``(h, w)`` map."""
    conv, bn = conv_bn.conv, conv_bn.bn
    x = tokens.transpose(1, 2).reshape(tokens.shape[0], -1, h, w)
    x = F.conv2d(x, conv.weight, None, 1, conv.padding, 1, conv.groups)
    x = F.batch_norm(x, bn.running_mean, bn.running_var, bn.weight, bn.bias,
                     False, 0., bn.eps)
    return x.flatten(2).transpose(1, 2)


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
        if attn.qkv_kernel:  # depthwise ConvBN on the (h, w) / (P, P) maps
            P = attn.reduce[i].pool_size
            q = conv_bn_tokens(attn.q_conv[i], q, H, W)
            k = conv_bn_tokens(attn.k_conv[i], k, P, P)
            v = conv_bn_tokens(attn.v_conv[i], v, P, P)
        dk, dv = attn.key_dim // h, c // h
        heads = []
        for j in range(h):
            qj = q[..., j * dk:(j + 1) * dk]
            kj = k[..., j * dk:(j + 1) * dk]
            vj = v[..., j * dv:(j + 1) * dv]
            scores = qj @ kj.transpose(1, 2) / math.sqrt(dk)
            heads.append(scores.softmax(-1) @ vj)
        out = attn.out[i](torch.cat(heads, dim=-1))
        if attn.group_out_norm:
            out = F.layer_norm(out, (c, ), attn.out_norm[i].weight,
                               attn.out_norm[i].bias)
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


@pytest.mark.parametrize('options', [
    dict(qkv_kernel=3),
    dict(qkv_kernel=5),
    dict(group_out_norm=True),
    dict(qkv_kernel=3, group_out_norm=True),
])
def test_options_match_reference_computation(options, randomize_bn):
    """HEViTPose's per-head Q/K/V convolution (after the LayerNorms) and
    the LayerNorm after each group's output linear, as the reference
    writes them out."""
    attn = randomize_bn(make_attention(dim=48, key_dim=8, **options))
    x = torch.randn(2, 48, 7, 5)
    expected = reference_cgslra(attn, x)
    torch.testing.assert_close(attn(x), expected)
    assert not torch.allclose(
        expected,
        reference_cgslra(randomize_bn(make_attention(dim=48, key_dim=8)), x))


@pytest.mark.parametrize('options',
                         [dict(),
                          dict(qkv_kernel=0, group_out_norm=False)])
def test_options_off_add_nothing(options):
    attn = CGSLRA(32, 4, 4, 2, 3, **options)
    assert {key.split('.')[0]
            for key in attn.state_dict()} == {
                'q', 'q_norm', 'reduce', 'kv', 'k_norm', 'v_norm', 'out',
                'proj'
            }


def test_options_add_their_modules():
    attn = CGSLRA(32, 4, 4, 2, 3, qkv_kernel=3, group_out_norm=True)
    assert {'q_conv', 'k_conv', 'v_conv',
            'out_norm'} <= {key.split('.')[0]
                            for key in attn.state_dict()}


def test_qkv_kernel_is_depthwise_per_group():
    attn = CGSLRA(48, 4, 8, 2, 3, qkv_kernel=5)
    for name, width in (('q_conv', 8), ('k_conv', 8), ('v_conv', 12)):
        convs = [m.conv for m in getattr(attn, name)]
        assert len(convs) == 4
        for conv in convs:
            # groups == channels: each head's channels convolved alone
            assert (conv.in_channels, conv.out_channels,
                    conv.groups) == (width, width, width)
            assert conv.kernel_size == (5, 5) and conv.padding == (2, 2)


def test_group_out_norm_feeds_the_cascade():
    attn = make_attention(group_out_norm=True)
    assert [m.normalized_shape for m in attn.out_norm] == [(8, )] * 4
    seen = record_inputs(attn.out_norm)
    attn(torch.rand(1, 32, 6, 5))
    assert seen == [(1, 30, 8)] * 4
    x = torch.rand(1, 32, 6, 5)
    before = group_outputs(attn, x)[1]
    with torch.no_grad():
        attn.out_norm[0].bias.add_(1.)  # group 0's norm only
    assert not torch.allclose(group_outputs(attn, x)[1], before)


@pytest.mark.parametrize('options', [
    dict(),
    dict(qkv_kernel=3),
    dict(group_out_norm=True),
    dict(qkv_kernel=5, group_out_norm=True),
])
def test_switch_to_deploy_is_exact(options, randomize_bn):
    attn = randomize_bn(make_attention(dim=48, key_dim=8, **options))
    x = torch.randn(2, 48, 9, 6)
    with torch.no_grad():
        expected = attn(x)
        attn.switch_to_deploy()
        attn.switch_to_deploy()  # a no-op
        got = attn(x)
    if attn.qkv_kernel:  # fused (the backbone fuses ``proj``)
        for convs in (attn.q_conv, attn.k_conv, attn.v_conv):
            assert all(type(conv) is nn.Conv2d for conv in convs)
    torch.testing.assert_close(got, expected, rtol=0, atol=1e-5)


@pytest.mark.parametrize('heads, hw', [(1, (9, 6)), (2, (3, 2)),
                                       (4, (16, 12))])
@pytest.mark.parametrize('channels_last', [False, True])
def test_deployed_token_layout_path_is_exact(heads, hw, channels_last,
                                             randomize_bn):
    """Without the options, the deployed attention computes in token
    layout (block-diagonal heads, values through the output linear first):
    the same output, for any head count and for maps smaller or larger
    than the pooled one."""
    attn = randomize_bn(make_attention(dim=48, key_dim=8, heads=heads))
    x = torch.randn(2, 48, *hw)
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    with torch.no_grad():
        expected = reference_cgslra(attn, x)
        attn.switch_to_deploy()
        got = attn(x)
    assert attn.fused
    torch.testing.assert_close(got, expected, rtol=0, atol=1e-5)


@pytest.mark.parametrize('options',
                         [dict(qkv_kernel=3),
                          dict(group_out_norm=True)])
def test_options_keep_the_per_group_path(options):
    attn = make_attention(**options)
    attn.switch_to_deploy()
    assert not attn.fused


def test_token_layout_masks_are_not_saved():
    attn = make_attention(dim=48, key_dim=8)
    keys = set(attn.state_dict())
    attn.switch_to_deploy()
    assert set(attn.state_dict()) == keys
    assert attn.k_mask.shape == (2 * 9, 8) and attn.v_mask.shape == (18, 12)


def export_and_check(tmp_path, attn, dynamo, opset):
    """Export the deployed ``attn``, check ONNX Runtime reproduces it and
    return the graph."""
    ort = pytest.importorskip('onnxruntime')
    onnx = pytest.importorskip('onnx')
    attn.switch_to_deploy()
    x = torch.randn(1, 48, 10, 8)
    path = str(tmp_path / 'cgslra.onnx')
    torch.onnx.export(attn, (x, ), path, dynamo=dynamo, opset_version=opset)
    session = ort.InferenceSession(path, providers=['CPUExecutionProvider'])
    (got, ) = session.run(None, {session.get_inputs()[0].name: x.numpy()})
    with torch.no_grad():
        expected = attn(x)
    assert expected.abs().max() > 1e-3
    torch.testing.assert_close(
        torch.from_numpy(got), expected, atol=1e-5, rtol=0)
    return onnx.load(path).graph


@pytest.mark.parametrize('dynamo, opset', [(True, 20), (False, 17)])
def test_onnx_export_with_options(tmp_path, dynamo, opset):
    """Both exporters; ONNX Runtime reproduces the deployed module."""
    attn = make_attention(dim=48, key_dim=8, qkv_kernel=3, group_out_norm=True)
    export_and_check(tmp_path, attn, dynamo, opset)


@pytest.mark.parametrize('dynamo, opset', [(True, 20), (False, 17)])
def test_onnx_export_of_token_layout_path(tmp_path, dynamo, opset):
    """Both exporters reproduce the token-layout path; the default one's
    graph pools with one constant product and has no per-head transpose."""
    attn = make_attention(dim=48, key_dim=8)
    graph = export_and_check(tmp_path, attn, dynamo, opset)
    if not dynamo:  # the legacy exporter leaves constant folding undone
        return
    onnx = pytest.importorskip('onnx')
    # transposes of activations (rank 3 or 4): one to tokens, one back, one
    # per group for the keys
    moved = [
        node for node in graph.node if node.op_type == 'Transpose'
        and len(onnx.helper.get_attribute_value(node.attribute[0])) > 2
    ]
    assert len(moved) <= 2 + attn.num_groups
    ops = {node.op_type for node in graph.node}
    assert not ops & {'AveragePool', 'GlobalAveragePool', 'Tile'}


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
    (dict(dim=16, num_groups=4, key_dim=2, qkv_kernel=4), 'qkv_kernel'),
    (dict(dim=16, num_groups=4, key_dim=2, qkv_kernel=-3), 'qkv_kernel'),
    (dict(dim=16, num_groups=4, key_dim=2, qkv_kernel=3.), 'qkv_kernel'),
    (dict(dim=16, num_groups=4, key_dim=2, qkv_kernel=True), 'qkv_kernel'),
    (dict(dim=16, num_groups=4, key_dim=2,
          group_out_norm='yes'), 'group_out_norm'),
])
def test_bad_arguments_raise(kwargs, match):
    with pytest.raises(ValueError, match=match):
        CGSLRA(**kwargs)


@pytest.mark.parametrize('batch', [1, 2])
def test_deployed_pooling_copies_nothing_on_a_channels_last_map(batch):
    """The deployed attention pools its tokens seen as a channels-last map:
    adaptive_avg_pool2d must not copy them to NCHW first (it did for a
    batch of 1, in every group, when the view's batch stride was off).
    Group 0 reads a channel slice of the map, which the pooling may make
    dense; the later groups read their own tensors."""
    from torch.profiler import ProfilerActivity, profile
    attn = make_attention(dim=32, key_dim=8, heads=2, pool=3)
    attn.switch_to_deploy()
    x = torch.randn(batch, 32, 12,
                    10).contiguous(memory_format=torch.channels_last)
    with torch.no_grad(), profile(activities=[ProfilerActivity.CPU]) as prof:
        attn(x)
    pools = [e for e in prof.events() if e.name == 'aten::adaptive_avg_pool2d']
    assert len(pools) == 4  # one per group

    def copies_under(event):
        return sum((child.name == 'aten::copy_') + copies_under(child)
                   for child in event.cpu_children)

    assert [copies_under(e) for e in pools[1:]] == [0] * 3
