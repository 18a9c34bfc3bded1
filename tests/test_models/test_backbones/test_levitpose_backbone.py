"""Tests of the LEViTPose backbone (backbones/levitpose.py)."""
import copy

import pytest
import torch
from torch import nn

from levitpose.models.backbones import EfficientViT, LEViTPose
from levitpose.models.layers import (CGSLRA, LocalWindowAttention, LStem,
                                     OverlapPatchEmbed, SandwichBlock,
                                     Subsample)
from levitpose.models.layers.lstem import ChannelShuffle

torch.set_num_threads(1)


def small_arch(**overrides):
    """A cheap custom arch with the real structure (for fast tests)."""
    arch = dict(
        stem_channels=8,
        embed_dims=(16, 32, 48),
        depths=(1, 1, 2),
        num_groups=(2, 2, 4),
        key_dims=(4, 8, 8),
        heads_per_group=2,
        pool_size=3,
        stem_kernels=(3, 5))
    arch.update(overrides)
    return arch


def blocks(stage):
    return [m for m in stage.children() if isinstance(m, SandwichBlock)]


@pytest.mark.parametrize('arch', ['tiny', 'small'])
@pytest.mark.parametrize('hw', [(256, 256), (256, 192)])
def test_stages_at_strides_4_8_16(arch, hw):
    h, w = hw
    model = LEViTPose(arch, input_size=(w, h), out_indices=(0, 1, 2)).eval()
    with torch.no_grad():
        feats = model(torch.rand(1, 3, h, w))
    dims = model.arch['embed_dims']
    assert [tuple(f.shape[1:]) for f in feats
            ] == [(dims[i], h // s, w // s) for i, s in enumerate((4, 8, 16))]
    assert model.out_channels == dims


@pytest.mark.parametrize('arch', ['tiny', 'small'])
def test_feature_maps_stay_channels_last(arch):
    """The backbone computes channels-last (oneDNN's fast layout); nothing
    after LStem may turn it back into NCHW."""
    model = LEViTPose(arch=arch, out_indices=(0, 1, 2)).eval()
    with torch.no_grad():
        outs = model(torch.randn(1, 3, 64, 64))
    for out in outs:
        assert out.is_contiguous(memory_format=torch.channels_last)
        assert not out.is_contiguous()


def test_default_returns_stride_16_only():
    model = LEViTPose(small_arch()).eval()
    (feat, ) = model(torch.rand(1, 3, 64, 48))
    assert feat.shape == (1, 48, 4, 3)
    assert model.out_channels == (48, )


@pytest.mark.parametrize('out_index', [0, 1, 2, -1])
def test_each_out_index(out_index):
    model = LEViTPose(small_arch(), out_indices=(out_index, )).eval()
    (feat, ) = model(torch.rand(1, 3, 64, 64))
    stride = (4, 8, 16)[out_index]
    assert feat.shape == (1, (16, 32, 48)[out_index], 64 // stride,
                          64 // stride)


def test_is_efficientvit_with_stem_and_attention_replaced():
    model = LEViTPose('tiny')
    assert isinstance(model, EfficientViT)
    stem = model.stages[0].embed
    assert [type(m) for m in stem] == [LStem, OverlapPatchEmbed]
    assert all(isinstance(s.embed, Subsample) for s in model.stages[1:])
    mixers = [b.mixer.fn for s in model.stages for b in blocks(s)]
    assert mixers and all(type(m) is CGSLRA for m in mixers)
    assert not any(
        isinstance(m, LocalWindowAttention) for m in model.modules())


@pytest.mark.parametrize('arch', ['tiny', 'small'])
def test_baseline_depths_and_groups(arch):
    model = LEViTPose(arch)
    assert [len(blocks(s)) for s in model.stages] == [1, 2, 3]
    assert {m.num_groups
            for m in model.modules() if isinstance(m, CGSLRA)} == {4}


def test_tiny_and_small_differ_in_widths_only():
    tiny, small = LEViTPose.arch_zoo['tiny'], LEViTPose.arch_zoo['small']
    assert {k for k in tiny if tiny[k] != small[k]} == {'embed_dims'}
    assert all(
        t < s for t, s in zip(tiny['embed_dims'][1:], small['embed_dims'][1:]))


def test_stem_uses_multi_scale_kernels_3_5_7():
    model = LEViTPose('tiny')
    assert model.stages[0].embed[0].dw.kernels == (3, 5, 7)


def test_custom_arch_keys_reach_the_modules():
    arch = small_arch(
        stem_channels=12,
        heads_per_group=4,
        pool_size=5,
        stem_kernels=(3, 9),
        key_dims=(4, 8, 4))
    model = LEViTPose(arch)
    lstem, ope = model.stages[0].embed
    assert lstem.conv.conv.out_channels == 12
    assert ope.conv.in_channels == 12
    assert lstem.dw.kernels == (3, 9)
    attns = [b.mixer.fn for s in model.stages for b in blocks(s)]
    assert [a.num_groups for a in attns] == [2, 2, 4, 4]
    assert [a.key_dim for a in attns] == [4, 8, 4, 4]
    assert {a.heads for a in attns} == {4}
    assert {a.reduce[0].pool.output_size for a in attns} == {5}


@pytest.mark.parametrize('arch', ['base', 'Tiny', 'm0', 3])
def test_bad_arch_raises_naming_allowed(arch):
    with pytest.raises(ValueError, match="'small'.*'tiny'"):
        LEViTPose(arch)


def test_custom_arch_missing_key_raises():
    arch = small_arch()
    del arch['pool_size']
    with pytest.raises(ValueError, match='pool_size'):
        LEViTPose(arch)


def test_custom_arch_unknown_key_raises():
    with pytest.raises(ValueError, match='sr_ratios'):
        LEViTPose(small_arch(sr_ratios=(8, 4, 2)))


@pytest.mark.parametrize('key', ['depths', 'num_groups', 'key_dims'])
def test_custom_arch_wrong_length_raises(key):
    with pytest.raises(ValueError, match=key):
        LEViTPose(small_arch(**{key: (1, 1)}))


@pytest.mark.parametrize('size', [(250, 256), (192, 200), (192, 264), (0, 256),
                                  (256, ), '256x256', (192.0, 256),
                                  (True, 256), None])
def test_input_size_must_be_multiples_of_16(size):
    with pytest.raises(ValueError, match='input_size'):
        LEViTPose('tiny', input_size=size)


def test_input_size_multiple_of_16_not_32_is_accepted():
    model = LEViTPose(small_arch(), input_size=(48, 80)).eval()
    assert model(torch.rand(1, 3, 80, 48))[0].shape == (1, 48, 5, 3)


@pytest.mark.parametrize('hw', [(72, 48), (64, 40)])
def test_forward_rejects_size_not_multiple_of_16(hw):
    model = LEViTPose(small_arch()).eval()
    with pytest.raises(ValueError, match='multiples of 16'):
        model(torch.rand(1, 3, *hw))


def test_frozen_stages_have_no_grad_and_stay_eval():
    model = LEViTPose(small_arch(), frozen_stages=1).train()
    for i, stage in enumerate(model.stages):
        frozen = i <= 1
        assert all(p.requires_grad != frozen for p in stage.parameters())
        assert all(m.training != frozen for m in stage.modules())


def test_norm_eval_keeps_bn_statistics():
    model = LEViTPose(small_arch(), norm_eval=True).train()
    bns = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    assert bns and not any(bn.training for bn in bns)
    assert model.stages[0].training
    before = [bn.running_mean.clone() for bn in bns]
    model(torch.rand(2, 3, 64, 64))
    assert all(torch.equal(bn.running_mean, b) for bn, b in zip(bns, before))


def test_without_norm_eval_bn_trains():
    model = LEViTPose(small_arch()).train()
    assert all(m.training for m in model.modules()
               if isinstance(m, nn.BatchNorm2d))


def test_fresh_blocks_are_identity():
    model = LEViTPose(small_arch()).eval()
    x = torch.rand(1, 48, 4, 3)
    for block in blocks(model.stages[2]):
        torch.testing.assert_close(block(x), x)


def test_drop_path_rates_increase_linearly():
    model = LEViTPose(small_arch(), drop_path_rate=0.3)
    rates = [b.dw0.drop_path for s in model.stages for b in blocks(s)]
    assert rates == pytest.approx([0., 0.1, 0.2, 0.3])


@pytest.mark.parametrize('rate', [-0.1, 1.0])
def test_bad_drop_path_rate_raises(rate):
    with pytest.raises(ValueError, match='drop_path_rate'):
        LEViTPose(small_arch(), drop_path_rate=rate)


def test_switch_to_deploy_keeps_outputs_and_is_idempotent(randomize_bn):
    torch.manual_seed(0)
    model = randomize_bn(LEViTPose('tiny', out_indices=(0, 1, 2))).eval()
    x = torch.rand(1, 3, 256, 192)
    with torch.no_grad():
        expected = model(x)
        model.switch_to_deploy()
        fused_state = copy.deepcopy(model.state_dict())
        model.switch_to_deploy()  # must be a no-op
        got = model(x)
    assert model.deploy
    assert not any(
        isinstance(m, nn.modules.batchnorm._BatchNorm)
        for m in model.modules())
    # LStem's shuffle folded into the OPE convolution
    assert not any(isinstance(m, ChannelShuffle) for m in model.modules())
    state = model.state_dict()
    assert state.keys() == fused_state.keys()
    assert all(torch.equal(state[k], fused_state[k]) for k in state)
    for out, want in zip(got, expected):
        torch.testing.assert_close(out, want, rtol=0, atol=1e-5)


HEVITPOSE_OPTIONS = [
    dict(qkv_kernel=5),
    dict(group_out_norm=True),
    dict(qkv_kernel=3, group_out_norm=True),
]


@pytest.mark.parametrize('options', HEVITPOSE_OPTIONS)
def test_attention_options_reach_every_cgslra(options):
    model = LEViTPose(small_arch(), **options)
    attns = [m for m in model.modules() if isinstance(m, CGSLRA)]
    assert len(attns) == 4
    for attn in attns:
        assert attn.qkv_kernel == options.get('qkv_kernel', 0)
        assert attn.group_out_norm == options.get('group_out_norm', False)
        assert hasattr(attn, 'q_conv') == bool(attn.qkv_kernel)
        assert hasattr(attn, 'out_norm') == attn.group_out_norm


@pytest.mark.parametrize('arch', ['tiny', 'small'])
def test_default_has_no_optional_attention_modules(arch):
    keys = LEViTPose(arch).state_dict()
    assert not any(
        part in ('q_conv', 'k_conv', 'v_conv', 'out_norm') for key in keys
        for part in key.split('.'))


@pytest.mark.parametrize('options', HEVITPOSE_OPTIONS)
def test_deploy_with_attention_options_is_exact(options, randomize_bn):
    torch.manual_seed(0)
    model = randomize_bn(LEViTPose(small_arch(), **options)).eval()
    with torch.no_grad():
        for module in model.modules():  # LayerNorms off the identity
            if isinstance(module, nn.LayerNorm):
                module.weight.uniform_(0.5, 1.5)
                module.bias.normal_(0., 0.1)
    x = torch.rand(1, 3, 64, 48)
    with torch.no_grad():
        expected = model(x)[0]
        model.switch_to_deploy()
        got = model(x)[0]
    assert not any(
        isinstance(m, nn.modules.batchnorm._BatchNorm)
        for m in model.modules())
    torch.testing.assert_close(got, expected, rtol=0, atol=1e-5)
    deployed = LEViTPose(small_arch(), deploy=True, **options).eval()
    deployed.load_state_dict(model.state_dict(), strict=True)
    with torch.no_grad():
        torch.testing.assert_close(deployed(x)[0], got, rtol=0, atol=0)


@pytest.mark.parametrize('options, name', [
    (dict(qkv_kernel=2), 'qkv_kernel'),
    (dict(group_out_norm=1), 'group_out_norm'),
])
def test_bad_attention_option_raises_from_config(options, name):
    from mmpose.registry import MODELS
    with pytest.raises(ValueError, match=name) as info:
        MODELS.build(dict(type='LEViTPose', arch='tiny', **options))
    assert '\n' not in str(info.value)


def test_state_dict_round_trip_is_exact(tmp_path, randomize_bn):
    torch.manual_seed(0)
    model = randomize_bn(LEViTPose(small_arch())).eval()
    path = tmp_path / 'backbone.pth'
    torch.save(model.state_dict(), path)
    torch.manual_seed(1)
    other = LEViTPose(small_arch()).eval()
    other.load_state_dict(torch.load(path, weights_only=True), strict=True)
    x = torch.rand(1, 3, 64, 48)
    assert torch.equal(other(x)[0], model(x)[0])


def test_in_channels_option():
    model = LEViTPose(small_arch(), in_channels=1).eval()
    (feat, ) = model(torch.rand(1, 1, 64, 64))
    assert feat.shape == (1, 48, 4, 4)


def test_registered_in_mmpose():
    from mmpose.registry import MODELS
    model = MODELS.build(dict(type='LEViTPose', arch='tiny'))
    assert type(model) is LEViTPose


def test_init_cfg_is_applied():
    model = LEViTPose(
        small_arch(),
        init_cfg=dict(type='Constant', layer='Conv2d', val=0.5, bias=0.))
    model.init_weights()
    conv = model.stages[0].embed[0].conv.conv
    assert torch.all(conv.weight == 0.5)
