"""Tests of the LFRM heatmap head."""
import copy

import pytest
import torch
from mmpose.models.utils.tta import flip_heatmaps
from mmpose.testing import get_packed_inputs
from torch import nn

from levitpose.models.heads import LFRMHead

torch.set_num_threads(1)
CODEC = dict(
    type='MSRAHeatmap', input_size=(192, 256), heatmap_size=(48, 64), sigma=2)
DIMS = (16, 32, 48)


def make_feats(batch=2, seed=0):
    """Backbone-like features at strides 4, 8, 16 of a 256x192 input."""
    gen = torch.Generator().manual_seed(seed)
    return tuple(
        torch.rand(batch, c, 256 // s, 192 // s, generator=gen)
        for c, s in zip(DIMS, (4, 8, 16)))


def make_head(**kwargs):
    cfg = dict(
        in_channels=DIMS,
        out_channels=17,
        feat_channels=(32, 16),
        decoder=CODEC)
    cfg.update(kwargs)
    torch.manual_seed(0)
    return LFRMHead(**cfg)


def samples(batch=2):
    return get_packed_inputs(
        batch_size=batch, num_keypoints=17)['data_samples']


@pytest.mark.parametrize('in_channels', [DIMS, DIMS[-1]])
def test_forward_restores_stride_4(in_channels):
    head = make_head(in_channels=in_channels).eval()
    assert head(make_feats()).shape == (2, 17, 64, 48)


def test_single_input_ignores_lower_levels():
    head = make_head(in_channels=DIMS[-1]).eval()
    feats = make_feats()
    only_top = (torch.zeros_like(feats[0]), torch.zeros_like(feats[1]),
                feats[2])
    torch.testing.assert_close(head(feats), head(only_top))


def test_laterals_use_lower_levels():
    head = make_head().eval()
    for module in head.modules():  # make the laterals matter
        if isinstance(module, nn.BatchNorm2d):
            nn.init.constant_(module.weight, 1.)
    feats = make_feats()
    changed = (feats[0] + 1, feats[1], feats[2])
    assert not torch.allclose(head(feats), head(changed))


@pytest.mark.parametrize('in_channels', [(16, 48), (8, 16, 32, 48)])
def test_wrong_number_of_inputs_raises(in_channels):
    with pytest.raises(ValueError, match='in_channels'):
        make_head(in_channels=in_channels)


def test_empty_feat_channels_raise():
    with pytest.raises(ValueError, match='feat_channels'):
        make_head(feat_channels=())


def test_three_steps_reach_stride_2():
    head = make_head(in_channels=48, feat_channels=(32, 16, 8)).eval()
    assert head(make_feats()).shape[-2:] == (128, 96)


def test_predict_decodes_keypoints():
    head = make_head().eval()
    preds = head.predict(make_feats(), samples(), test_cfg={})
    assert len(preds) == 2
    assert preds[0].keypoints.shape == (1, 17, 2)
    assert preds[0].keypoint_scores.shape == (1, 17)


def test_predict_flip_test_averages_flipped_heatmaps():
    head = make_head().eval()
    feats, feats_flip = make_feats(seed=0), make_feats(seed=1)
    data_samples = samples()
    test_cfg = dict(
        flip_test=True,
        flip_mode='heatmap',
        shift_heatmap=True,
        output_heatmaps=True)
    _, fields = head.predict([feats, feats_flip], data_samples, test_cfg)
    flip_indices = data_samples[0].metainfo['flip_indices']
    expected = (head(feats) + flip_heatmaps(
        head(feats_flip),
        flip_mode='heatmap',
        flip_indices=flip_indices,
        shift_heatmap=True)) * 0.5
    got = torch.stack([f.heatmaps for f in fields])
    torch.testing.assert_close(got, expected)


def test_flip_test_needs_two_feature_sets():
    head = make_head().eval()
    with pytest.raises(ValueError, match='flip_test'):
        head.predict(make_feats(), samples(), dict(flip_test=True))


def test_loss_uses_target_weights():
    head = make_head(loss=dict(type='KeypointMSELoss', use_target_weight=True))
    data_samples = samples()
    losses = head.loss(make_feats(), data_samples)
    assert set(losses) == {'loss_kpt', 'acc_pose'}
    assert losses['loss_kpt'] > 0
    for sample in data_samples:
        sample.gt_instance_labels.keypoint_weights.zero_()
    assert head.loss(make_feats(), data_samples)['loss_kpt'] == 0


def test_loss_without_accuracy():
    head = make_head()
    losses = head.loss(make_feats(), samples(), dict(compute_acc=False))
    assert set(losses) == {'loss_kpt'}


def test_loss_gradients_reach_every_parameter():
    head = make_head().train()
    for module in head.modules():
        if isinstance(module, nn.BatchNorm2d):
            nn.init.constant_(module.weight, 1.)
    head.loss(make_feats(), samples())['loss_kpt'].backward()
    missing = [
        n for n, p in head.named_parameters()
        if p.grad is None or not p.grad.abs().sum() > 0
    ]
    assert not missing


def test_switch_to_deploy_keeps_outputs(randomize_bn):
    head = randomize_bn(make_head()).eval()
    feats = make_feats()
    expected = head(feats)
    head.switch_to_deploy()
    head.switch_to_deploy()
    assert not any(isinstance(m, nn.BatchNorm2d) for m in head.modules())
    torch.testing.assert_close(head(feats), expected, rtol=0, atol=1e-5)


def test_state_dict_round_trip(randomize_bn):
    head = randomize_bn(make_head()).eval()
    other = copy.deepcopy(head)
    for param in other.parameters():
        nn.init.zeros_(param)
    other.load_state_dict(head.state_dict())
    feats = make_feats()
    assert torch.equal(other(feats), head(feats))


def test_final_layer_starts_small():
    head = make_head()
    assert head.final_layer.weight.std() < 0.01
    assert not head.final_layer.bias.any()


def test_init_cfg_is_applied():
    head = make_head(init_cfg=dict(type='Constant', layer='Conv2d', val=0.))
    head.init_weights()
    assert not head(make_feats()).any()
