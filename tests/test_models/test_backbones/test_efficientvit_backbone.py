"""Tests of the EfficientViT-M0 pose baseline and of what it gives
:class:`LEViTPose` (backbones/efficientvit.py): the options, the freezing,
the deployment and the one variant table."""
import pytest
import torch
from torch import nn

from levitpose.models.backbones import EfficientViT, LEViTPose
from levitpose.models.backbones.efficientvit import (ARCH_ZOO,
                                                     parse_input_size,
                                                     parse_out_indices)
from levitpose.models.layers import (ConvStem, LocalWindowAttention,
                                     SandwichBlock, Subsample)
from levitpose.models.layers.window_attention import CascadedGroupAttention

torch.set_num_threads(1)


def attentions(model):
    return [m for m in model.modules() if isinstance(m, LocalWindowAttention)]


def randomize_biases(model):
    for module in model.modules():
        if isinstance(module, CascadedGroupAttention):
            nn.init.normal_(module.attention_biases, std=0.5)
    return model


def test_m0_table():
    assert EfficientViT.arch_zoo['m0'] == dict(
        embed_dims=(64, 128, 192),
        depths=(1, 2, 3),
        num_heads=(4, 4, 4),
        key_dims=(16, 16, 16),
        window=7,
        kernels=(5, 5, 5, 5))


def test_m0_builds_its_table():
    model = EfficientViT('m0', input_size=(256, 256))
    assert [
        len([b for b in s.children() if isinstance(b, SandwichBlock)])
        for s in model.stages
    ] == [1, 2, 3]
    attns = attentions(model)
    assert [a.attn.proj.conv.out_channels
            for a in attns] == [64, 128, 128, 192, 192, 192]
    for attn in attns:
        inner = attn.attn
        assert attn.window == 7 and inner.window == 7
        assert inner.num_heads == 4 and inner.key_dim == 16
        assert [dw.conv.kernel_size for dw in inner.dws] == [(5, 5)] * 4


def test_stem_to_stride_4_then_subsamples():
    model = EfficientViT()
    assert type(model.stages[0].embed) is ConvStem
    assert all(type(s.embed) is Subsample for s in model.stages[1:])


@pytest.mark.parametrize('hw', [(256, 256), (256, 192)])
def test_stages_at_strides_4_8_16(hw):
    h, w = hw
    model = EfficientViT(input_size=(w, h), out_indices=(0, 1, 2)).eval()
    with torch.no_grad():
        feats = model(torch.rand(1, 3, h, w))
    assert [tuple(f.shape[1:]) for f in feats] == [(64, h // 4, w // 4),
                                                   (128, h // 8, w // 8),
                                                   (192, h // 16, w // 16)]
    assert model.out_channels == (64, 128, 192)


def test_window_shrinks_to_small_resolutions():
    """The reference rule: ``window = min(window, resolution)``."""
    model = EfficientViT(input_size=(96, 96))  # stride 16: 6x6
    assert [a.window for a in attentions(model)] == [7, 7, 7, 6, 6, 6]


def test_one_table_holds_every_variant_once():
    assert EfficientViT.variants() == ('m0', )
    assert LEViTPose.variants() == ('small', 'tiny')
    assert LEViTPose.arch_zoo is EfficientViT.arch_zoo is ARCH_ZOO
    assert set(ARCH_ZOO) == {'m0', 'small', 'tiny'}


@pytest.mark.parametrize('arch', ['m1', 'tiny', 0])
def test_bad_arch_raises(arch):
    with pytest.raises(ValueError, match="'m0'"):
        EfficientViT(arch)


def test_custom_arch_needs_every_key():
    arch = dict(EfficientViT.arch_zoo['m0'])
    del arch['window']
    with pytest.raises(ValueError, match='window'):
        EfficientViT(arch)


@pytest.mark.parametrize('kwargs, match',
                         [(dict(out_indices=(3, )), 'out_indices'),
                          (dict(frozen_stages=5), 'frozen_stages'),
                          (dict(input_size=(100, 256)), 'input_size')])
def test_bad_options_raise(kwargs, match):
    with pytest.raises(ValueError, match=match):
        EfficientViT(**kwargs)


def test_parse_input_size_accepts_list():
    assert parse_input_size([192, 256]) == (192, 256)


def test_forward_rejects_size_not_multiple_of_16():
    model = EfficientViT().eval()
    with pytest.raises(ValueError, match='multiples of 16, got 72x64'):
        model(torch.rand(1, 3, 72, 64))


def test_switch_to_deploy_keeps_outputs_and_is_idempotent(randomize_bn):
    torch.manual_seed(0)
    model = randomize_biases(randomize_bn(EfficientViT())).eval()
    x = torch.rand(1, 3, 256, 192)
    with torch.no_grad():
        expected = model(x)[0]
        model.switch_to_deploy()
        state = {k: v.clone() for k, v in model.state_dict().items()}
        model.switch_to_deploy()
        got = model(x)[0]
    assert not any(isinstance(m, nn.BatchNorm2d) for m in model.modules())
    assert all(a.attn.attention_bias.shape == (4, 49, 49)
               for a in attentions(model))
    assert all(torch.equal(v, model.state_dict()[k]) for k, v in state.items())
    torch.testing.assert_close(got, expected, rtol=0, atol=1e-5)


@pytest.mark.parametrize('cls, arch', [(EfficientViT, 'm0'),
                                       (LEViTPose, 'tiny')])
def test_deploy_construction_loads_fused_state_dict(randomize_bn, cls, arch):
    torch.manual_seed(0)
    model = randomize_biases(randomize_bn(cls(arch))).eval()
    x = torch.rand(1, 3, 128, 96)
    expected = model(x)[0]
    model.switch_to_deploy()
    deployed = cls(arch, deploy=True).eval()
    assert deployed.deploy
    deployed.load_state_dict(model.state_dict(), strict=True)
    torch.testing.assert_close(deployed(x)[0], expected, rtol=0, atol=1e-5)


def test_state_dict_round_trip_is_exact(tmp_path, randomize_bn):
    torch.manual_seed(0)
    model = randomize_biases(randomize_bn(EfficientViT())).eval()
    torch.save(model.state_dict(), tmp_path / 'm0.pth')
    torch.manual_seed(1)
    other = EfficientViT().eval()
    other.load_state_dict(
        torch.load(tmp_path / 'm0.pth', weights_only=True), strict=True)
    x = torch.rand(1, 3, 64, 48)
    assert torch.equal(other(x)[0], model(x)[0])


def test_frozen_stages_and_norm_eval():
    model = EfficientViT(frozen_stages=0, norm_eval=True).train()
    assert not any(p.requires_grad for p in model.stages[0].parameters())
    assert all(p.requires_grad for p in model.stages[1].parameters())
    assert not any(m.training
                   for m in model.modules() if isinstance(m, nn.BatchNorm2d))


@pytest.mark.parametrize('cls, arch', [(EfficientViT, 'm0'),
                                       (LEViTPose, 'tiny')])
def test_gradients_reach_every_parameter(randomize_bn, cls, arch):
    torch.manual_seed(0)
    # fresh zero-init BNs would block the gradient of their branch
    model = randomize_bn(cls(arch, out_indices=(0, 1, 2))).train()
    feats = model(torch.rand(2, 3, 128, 96))
    sum(f.square().mean() for f in feats).backward()
    missing = [
        n for n, p in model.named_parameters()
        if p.grad is None or not p.grad.abs().sum() > 0
    ]
    assert not missing


def test_in_channels_option():
    model = EfficientViT(in_channels=1).eval()
    assert model(torch.rand(1, 1, 64, 64))[0].shape == (1, 192, 4, 4)


def test_registered_in_mmpose():
    from mmpose.registry import MODELS
    model = MODELS.build(dict(type='EfficientViT'))
    assert type(model) is EfficientViT


@pytest.mark.parametrize('cls', [LEViTPose, EfficientViT])
@pytest.mark.parametrize('frozen', [True, 3, -2, 1.0])
def test_bad_frozen_stages_names_the_range(cls, frozen):
    with pytest.raises(ValueError, match=r'frozen_stages .*\[-1, 2\]'):
        cls(frozen_stages=frozen)


@pytest.mark.parametrize('bad', [(), (3, ), (-4, ), (0, 'a'),
                                 (0.5, ), 'x', None])
def test_parse_out_indices_rejects(bad):
    with pytest.raises(ValueError, match=r'out_indices .*\[-3, 2\]'):
        parse_out_indices(bad, 3)


@pytest.mark.parametrize('indices, expected', [((-1, 0), (0, 2)), (1, (1, )),
                                               ([2, 2, -3], (0, 2))])
def test_parse_out_indices_normalises(indices, expected):
    assert parse_out_indices(indices, 3) == expected


def test_outputs_follow_stage_order():
    model = EfficientViT(out_indices=(2, 0)).eval()
    feats = model(torch.rand(1, 3, 64, 64))
    assert [f.shape[1] for f in feats] == [64, 192]


def test_deploy_is_idempotent_and_freezes_again():
    model = LEViTPose('tiny', frozen_stages=0)
    model.switch_to_deploy()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    model.switch_to_deploy()
    after = model.state_dict()
    assert before.keys() == after.keys()
    assert all(torch.equal(before[k], after[k]) for k in before)
    assert not any(p.requires_grad for p in model.stages[0].parameters())
    assert all(p.requires_grad for p in model.stages[1].parameters())


def test_train_keeps_frozen_stages_in_eval():
    model = EfficientViT(frozen_stages=1)
    model.eval().train()
    assert [s.training for s in model.stages] == [False, False, True]
