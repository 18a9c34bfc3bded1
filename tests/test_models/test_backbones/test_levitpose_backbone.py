"""Tests of the LEViTPose backbone."""
import copy

import pytest
import torch
from torch import nn

from levitpose.models.backbones import LEViTPose
from levitpose.models.backbones.levitpose import (parse_input_size,
                                                  parse_out_indices)

torch.set_num_threads(1)


def small_arch(**overrides):
    """A cheap custom arch with the real structure (for fast tests)."""
    arch = dict(
        stem_channels=8,
        embed_dims=(16, 32, 48),
        depths=(1, 1, 2),
        num_groups=(2, 2, 3),
        key_dims=(8, 8, 8),
        sr_ratios=(8, 4, 2),
        ffn_ratios=(2, 2, 2))
    arch.update(overrides)
    return arch


@pytest.mark.parametrize('arch', ['tiny', 'small'])
def test_out_indices_select_strides_non_square(arch):
    model = LEViTPose(arch, input_size=(192, 256), out_indices=(0, 1, 2))
    feats = model.eval()(torch.rand(2, 3, 256, 192))
    assert [tuple(f.shape[-2:]) for f in feats] == [(64, 48), (32, 24),
                                                    (16, 12)]
    assert [f.shape[1] for f in feats] == list(model.arch['embed_dims'])
    assert model.out_channels == tuple(model.arch['embed_dims'])


@pytest.mark.parametrize('out_index', [0, 1, 2, -1])
def test_each_out_index_square(out_index):
    model = LEViTPose(
        small_arch(), input_size=(256, 256), out_indices=(out_index, )).eval()
    (feat, ) = model(torch.rand(1, 3, 256, 256))
    stride = (4, 8, 16)[out_index]
    assert feat.shape == (1, (16, 32, 48)[out_index], 256 // stride,
                          256 // stride)


def test_default_returns_stride_16():
    (feat, ) = LEViTPose('tiny').eval()(torch.rand(1, 3, 256, 192))
    assert feat.shape == (1, 128, 16, 12)


def test_large_non_square_input():
    model = LEViTPose(small_arch(), input_size=(288, 384)).eval()
    (feat, ) = model(torch.rand(1, 3, 384, 288))
    assert feat.shape[-2:] == (24, 18)


@pytest.mark.parametrize('arch', ['base', 'Tiny', 3])
def test_bad_arch_raises_naming_allowed(arch):
    with pytest.raises(ValueError, match="'small'.*'tiny'"):
        LEViTPose(arch)


def test_custom_arch_missing_key_raises():
    arch = small_arch()
    del arch['sr_ratios']
    with pytest.raises(ValueError, match='sr_ratios'):
        LEViTPose(arch)


def test_custom_arch_wrong_length_raises():
    with pytest.raises(ValueError, match='depths'):
        LEViTPose(small_arch(depths=(1, 1)))


@pytest.mark.parametrize('size', [(250, 256), (192, 200), (0, 256),
                                  (256, ), '256x256', (192.0, 256), None])
def test_bad_input_size_raises(size):
    with pytest.raises(ValueError, match='input_size'):
        LEViTPose('tiny', input_size=size)


def test_forward_rejects_size_not_multiple_of_32():
    model = LEViTPose(small_arch()).eval()
    with pytest.raises(ValueError, match='multiples of 32, got 250x192'):
        model(torch.rand(1, 3, 250, 192))


def test_parse_input_size_accepts_list():
    assert parse_input_size([192, 256]) == (192, 256)


@pytest.mark.parametrize('indices', [(3, ), (-4, ), (), 'all', (0.5, )])
def test_bad_out_indices_raise(indices):
    with pytest.raises(ValueError, match='out_indices'):
        LEViTPose('tiny', out_indices=indices)


def test_out_indices_normalised():
    assert parse_out_indices((-1, 0), 3) == (0, 2)
    assert parse_out_indices(1, 3) == (1, )


@pytest.mark.parametrize('frozen', [-2, 3, 1.0])
def test_bad_frozen_stages_raise(frozen):
    with pytest.raises(ValueError, match='frozen_stages'):
        LEViTPose(small_arch(), frozen_stages=frozen)


@pytest.mark.parametrize('rate', [-0.1, 1.0])
def test_bad_drop_path_rate_raises(rate):
    with pytest.raises(ValueError, match='drop_path_rate'):
        LEViTPose(small_arch(), drop_path_rate=rate)


def test_frozen_stages_have_no_grad_and_stay_eval():
    model = LEViTPose(small_arch(), frozen_stages=1)
    model.train()
    for i, stage in enumerate(model.stages):
        frozen = i <= 1
        assert all(p.requires_grad != frozen for p in stage.parameters())
        assert all(m.training != frozen for m in stage.modules())


def test_norm_eval_keeps_bn_in_eval_mode():
    model = LEViTPose(small_arch(), norm_eval=True).train()
    bns = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    assert bns and not any(bn.training for bn in bns)
    assert model.stages[0].training
    before = bns[0].running_mean.clone()
    model(torch.rand(2, 3, 64, 64))
    torch.testing.assert_close(bns[0].running_mean, before)


def test_without_norm_eval_bn_trains():
    model = LEViTPose(small_arch()).train()
    assert all(m.training for m in model.modules()
               if isinstance(m, nn.BatchNorm2d))


def test_gradients_reach_every_parameter():
    torch.manual_seed(0)
    model = LEViTPose(small_arch(), out_indices=(0, 1, 2)).train()
    for module in model.modules():  # zero-init BN would block gradients
        if isinstance(module, nn.BatchNorm2d):
            nn.init.constant_(module.weight, 1.)
    feats = model(torch.rand(2, 3, 64, 96))
    sum(f.square().mean() for f in feats).backward()
    missing = [
        n for n, p in model.named_parameters()
        if p.grad is None or not p.grad.abs().sum() > 0
    ]
    assert not missing


def test_residual_branches_start_as_identity():
    model = LEViTPose(small_arch()).eval()
    block = model.stages[2].blocks[0]
    x = torch.rand(1, 48, 4, 4)
    torch.testing.assert_close(block(x), x)


def test_drop_path_is_random_in_train_and_off_in_eval():
    torch.manual_seed(0)
    model = LEViTPose(small_arch(), drop_path_rate=0.5)
    for module in model.modules():
        if isinstance(module, nn.BatchNorm2d):
            nn.init.constant_(module.weight, 1.)
    x = torch.rand(4, 3, 64, 64)
    model.train()
    outs = [model(x)[0] for _ in range(2)]
    assert not torch.allclose(outs[0], outs[1])
    model.eval()
    torch.testing.assert_close(model(x)[0], model(x)[0])


def test_drop_path_rates_increase_linearly():
    model = LEViTPose(small_arch(), drop_path_rate=0.3)
    rates = [
        block.dw0.drop_path for stage in model.stages for block in stage.blocks
    ]
    assert rates[0] == 0. and rates[-1] == pytest.approx(0.3)
    assert rates == sorted(rates)


def test_switch_to_deploy_keeps_outputs_and_is_idempotent(randomize_bn):
    torch.manual_seed(0)
    model = randomize_bn(LEViTPose('tiny', out_indices=(0, 1, 2)).eval())
    x = torch.rand(1, 3, 256, 192)
    expected = model(x)
    model.switch_to_deploy()
    fused_state = copy.deepcopy(model.state_dict())
    model.switch_to_deploy()  # must be a no-op
    assert model.deploy
    assert not any(
        isinstance(m, nn.modules.batchnorm._BatchNorm)
        for m in model.modules())
    assert model.state_dict().keys() == fused_state.keys()
    for got, want in zip(model(x), expected):
        torch.testing.assert_close(got, want, rtol=0, atol=1e-5)


def test_deploy_construction_loads_fused_state_dict(randomize_bn):
    torch.manual_seed(0)
    model = randomize_bn(LEViTPose(small_arch()).eval())
    x = torch.rand(1, 3, 64, 64)
    expected = model(x)[0]
    model.switch_to_deploy()
    deployed = LEViTPose(small_arch(), deploy=True).eval()
    deployed.load_state_dict(model.state_dict(), strict=True)
    torch.testing.assert_close(deployed(x)[0], expected, rtol=0, atol=1e-5)


def test_state_dict_round_trip_is_exact(tmp_path, randomize_bn):
    torch.manual_seed(0)
    model = randomize_bn(LEViTPose(small_arch()).eval())
    path = tmp_path / 'backbone.pth'
    torch.save(model.state_dict(), path)
    torch.manual_seed(1)
    other = LEViTPose(small_arch()).eval()
    other.load_state_dict(torch.load(path, weights_only=True), strict=True)
    x = torch.rand(1, 3, 64, 64)
    assert torch.equal(other(x)[0], model(x)[0])


def test_in_channels_option():
    model = LEViTPose(small_arch(), in_channels=1).eval()
    (feat, ) = model(torch.rand(1, 1, 64, 64))
    assert feat.shape == (1, 48, 4, 4)


def test_registered_in_mmpose():
    from mmpose.registry import MODELS
    model = MODELS.build(dict(type='LEViTPose', arch='tiny'))
    assert isinstance(model, LEViTPose)


def test_init_cfg_is_applied():
    model = LEViTPose(
        small_arch(),
        init_cfg=dict(type='Constant', layer='Conv2d', val=0.5, bias=0.))
    model.init_weights()
    conv = model.stages[0].embed.conv.conv
    assert torch.all(conv.weight == 0.5)
