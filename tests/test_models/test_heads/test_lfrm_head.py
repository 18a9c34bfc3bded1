"""Tests of the LFRM heatmap head (heads/lfrm_head.py): pointwise and group
transposed convolutions only, on top of MMPose's HeatmapHead."""
import copy

import pytest
import torch
from mmpose.models.heads import HeatmapHead
from mmpose.models.utils.tta import flip_heatmaps
from mmpose.testing import get_packed_inputs
from torch import nn

from levitpose.models.heads import LFRMHead
from levitpose.models.layers.subpixel import SubPixelConvTranspose2d

torch.set_num_threads(1)
CODEC = dict(
    type='MSRAHeatmap', input_size=(192, 256), heatmap_size=(48, 64), sigma=2)
TOP = 48  # channels of the stride-16 feature


def make_feats(batch=2, seed=0):
    """Backbone-like features at strides 4, 8, 16 of a 256x192 input."""
    gen = torch.Generator().manual_seed(seed)
    return tuple(
        torch.rand(batch, c, 256 // s, 192 // s, generator=gen)
        for c, s in ((16, 4), (32, 8), (TOP, 16)))


def make_head(**kwargs):
    cfg = dict(
        in_channels=TOP,
        out_channels=17,
        feat_channels=(32, 16),
        deconv_groups=(8, 4),
        decoder=CODEC)
    cfg.update(kwargs)
    torch.manual_seed(0)
    return LFRMHead(**cfg)


def samples(batch=2):
    return get_packed_inputs(
        batch_size=batch, num_keypoints=17,
        heatmap_size=(48, 64))['data_samples']


def leaf_layers(head):
    """The layers that compute (leaves outside the loss module)."""
    loss = set(head.loss_module.modules())
    return [
        m for m in head.modules() if not list(m.children()) and m not in loss
        and not isinstance(m, nn.Identity)
    ]


def test_is_a_registered_heatmap_head():
    from mmpose.registry import MODELS
    assert issubclass(LFRMHead, HeatmapHead)
    assert MODELS.get('LFRMHead') is LFRMHead


def test_overrides_only_construction_and_forward():
    """loss, predict (flip test) and decode stay MMPose's own."""
    overridden = {
        name
        for name, value in vars(LFRMHead).items() if callable(value)
    }
    assert overridden <= {'__init__', 'forward', 'switch_to_deploy'}


@pytest.mark.parametrize('kwargs', [
    dict(),
    dict(feat_channels=(128, 128), deconv_groups=(16, 16)),
])
def test_only_pointwise_group_deconv_bn_relu_inside(kwargs):
    head = make_head(**kwargs)
    for layer in leaf_layers(head):
        if type(layer) is nn.Conv2d:
            assert layer.kernel_size == (1, 1) and layer.groups == 1
        elif type(layer) is nn.ConvTranspose2d:
            assert layer.groups > 1
        else:
            assert type(layer) in (nn.BatchNorm2d, nn.ReLU), layer


def test_steps_are_pointwise_then_group_deconv():
    head = make_head()
    convs = [
        type(m) for m in leaf_layers(head)
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))
    ]
    assert convs == [
        nn.Conv2d, nn.ConvTranspose2d, nn.Conv2d, nn.ConvTranspose2d, nn.Conv2d
    ]
    assert head.final_layer.out_channels == 17


def test_default_groups():
    head = LFRMHead(TOP, 17)
    deconvs = [m for m in head.modules() if type(m) is nn.ConvTranspose2d]
    assert [(d.out_channels, d.groups) for d in deconvs] == [(128, 16),
                                                             (128, 16)]


@pytest.mark.parametrize('in_channels', [TOP, (16, 32, TOP)])
def test_stride_16_to_4(in_channels):
    head = make_head(in_channels=in_channels).eval()
    assert head(make_feats()).shape == (2, 17, 64, 48)


def test_uses_the_last_feature_only():
    head = make_head().eval()
    feats = make_feats()
    only_top = (torch.zeros_like(feats[0]), torch.zeros_like(feats[1]),
                feats[2])
    torch.testing.assert_close(head(feats), head(only_top))


def test_three_steps_reach_stride_2():
    head = make_head(feat_channels=(32, 16, 8), deconv_groups=(8, 4, 2))
    assert head.eval()(make_feats()).shape[-2:] == (128, 96)


@pytest.mark.parametrize('kwargs, match', [
    (dict(feat_channels=(), deconv_groups=()), 'non-empty'),
    (dict(feat_channels=(32, 16), deconv_groups=(8, )), 'equal length'),
    (dict(feat_channels=(32, 18), deconv_groups=(8, 4)), 'groups'),
    (dict(feat_channels=(32, 16), deconv_groups=(0, 4)), 'groups'),
])
def test_bad_arguments_raise(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_head(**kwargs)


def test_predict_decodes_keypoints():
    head = make_head().eval()
    preds = head.predict(make_feats(), samples(), test_cfg={})
    assert len(preds) == 2
    assert preds[0].keypoints.shape == (1, 17, 2)
    assert preds[0].keypoint_scores.shape == (1, 17)


def test_flip_test_averages_flipped_heatmaps():
    head = make_head().eval()
    feats, feats_flip = make_feats(seed=0), make_feats(seed=1)
    data_samples = samples()
    test_cfg = dict(
        flip_test=True,
        flip_mode='heatmap',
        shift_heatmap=True,
        output_heatmaps=True)
    with torch.no_grad():
        _, fields = head.predict([feats, feats_flip], data_samples, test_cfg)
        expected = (head(feats) + flip_heatmaps(
            head(feats_flip),
            flip_mode='heatmap',
            flip_indices=data_samples[0].metainfo['flip_indices'],
            shift_heatmap=True)) * 0.5
    torch.testing.assert_close(
        torch.stack([f.heatmaps for f in fields]), expected)


def test_loss_uses_target_weights():
    head = make_head()
    data_samples = samples()
    losses = head.loss(make_feats(), data_samples)
    assert set(losses) == {'loss_kpt', 'acc_pose'}
    assert losses['loss_kpt'] > 0
    for sample in data_samples:
        sample.gt_instance_labels.keypoint_weights.zero_()
    assert head.loss(make_feats(), data_samples)['loss_kpt'] == 0


def test_loss_gradients_reach_every_parameter(randomize_bn):
    head = randomize_bn(make_head()).train()
    head.loss(make_feats(), samples())['loss_kpt'].backward()
    missing = [
        n for n, p in head.named_parameters()
        if p.grad is None or not p.grad.abs().sum() > 0
    ]
    assert not missing


def test_switch_to_deploy_keeps_outputs(randomize_bn):
    head = randomize_bn(make_head()).eval()
    feats = make_feats()
    with torch.no_grad():
        expected = head(feats)
        head.switch_to_deploy()
        head.switch_to_deploy()
        got = head(feats)
    assert head.deploy
    assert not any(isinstance(m, nn.BatchNorm2d) for m in head.modules())
    deconvs = [m for m in head.modules() if isinstance(m, nn.ConvTranspose2d)]
    assert [d.groups for d in deconvs] == [8, 4]
    # the fused deconvolutions compute as sub-pixel convolutions
    assert all(type(d) is SubPixelConvTranspose2d for d in deconvs)
    torch.testing.assert_close(got, expected, rtol=0, atol=1e-5)


def test_state_dict_round_trip(randomize_bn):
    head = randomize_bn(make_head()).eval()
    other = copy.deepcopy(head)
    for param in other.parameters():
        nn.init.zeros_(param)
    other.load_state_dict(head.state_dict())
    feats = make_feats()
    assert torch.equal(other(feats), head(feats))


def test_default_init_makes_final_layer_small():
    head = make_head()
    head.init_weights()
    assert head.final_layer.weight.std() < 0.01
    assert not head.final_layer.bias.any()
