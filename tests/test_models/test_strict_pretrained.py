"""``init_cfg=dict(type='StrictPretrained', ...)``: a backbone checkpoint
set in MMPose's way loads whole or not at all, and bad files are refused
in one line."""
import runpy
from pathlib import Path

import pytest
import torch
from efficientvit_msra_layouts import cream_shapes, make_state, timm_shapes
from mmengine.config import Config
from mmpose.registry import MODELS

from levitpose.utils.errors import MissingFileError
from levitpose.utils.strict_load import CheckpointMismatchError

REPO = Path(__file__).resolve().parents[2]
TOPDOWN = REPO / 'configs' / 'body_2d_keypoint' / 'topdown_heatmap'
PRETRAINED = TOPDOWN / 'mpii' / 'td-hm_efficientvit-m0-in1k_8xb64-210e_' \
    'mpii-256x256.py'
T_MPII = TOPDOWN / 'mpii' / 'td-hm_levitpose-t_8xb64-210e_mpii-256x256.py'
convert_file = runpy.run_path(
    str(REPO / 'tools' / 'model_converters' /
        'efficientvit_msra2levitpose.py'),
    run_name='tool')['convert_file']


def build(config, **init_cfg):
    """The pose model of ``config`` with its backbone's init_cfg set."""
    cfg = Config.fromfile(str(config))
    cfg.model.backbone.init_cfg = dict(
        type='StrictPretrained', **init_cfg) if init_cfg else None
    return MODELS.build(cfg.model)


@pytest.fixture(scope='module', params=['cream', 'timm'])
def converted(request, tmp_path_factory):
    """``(source state, converted file)`` of a synthetic ImageNet file."""
    folder = tmp_path_factory.mktemp(request.param)
    shapes = cream_shapes if request.param == 'cream' else timm_shapes
    state = make_state(shapes())
    src = folder / 'efficientvit_m0.pth'
    torch.save({'model': state} if request.param == 'cream' else state, src)
    dst = folder / 'backbone.pth'
    result = convert_file(str(src), str(dst))
    return result['conversion'], dst


def test_the_pretrained_config_loads_the_converted_file(converted):
    conversion, dst = converted
    model = build(PRETRAINED, checkpoint=str(dst), prefix='backbone.')
    stem = {
        k: v.clone()
        for k, v in model.backbone.state_dict().items()
        if k in conversion.left_initialised
    }
    model.init_weights()
    loaded = model.backbone.state_dict()
    for key, value in conversion.state_dict.items():
        assert torch.equal(loaded[key], value), key
    for key, value in stem.items():  # declared absent: untouched
        assert torch.equal(loaded[key], value), key


def test_the_config_names_the_converter_output():
    cfg = Config.fromfile(str(PRETRAINED))
    assert cfg.model.backbone.init_cfg == dict(
        type='StrictPretrained',
        checkpoint='checkpoints/efficientvit-m0_in1k_backbone.pth',
        prefix='backbone.')


def _refused(model, error, match, **init_cfg):
    """Init with ``init_cfg`` must raise ``error`` and change nothing."""
    before = {k: v.clone() for k, v in model.state_dict().items()}
    from levitpose.models import StrictPretrainedInit
    with pytest.raises(error, match=match) as err:
        StrictPretrainedInit(**init_cfg)(model.backbone)
    assert '\n' not in str(err.value)
    after = model.state_dict()
    assert all(torch.equal(after[k], v) for k, v in before.items())


def test_a_missing_file_is_refused(tmp_path):
    _refused(
        build(PRETRAINED),
        MissingFileError,
        'does not exist',
        checkpoint=str(tmp_path / 'none.pth'))


@pytest.mark.parametrize(
    'config, prefix, match',
    [
        (PRETRAINED, 'model.', "prefix 'model.' matches none of the .* keys"),
        # the M0 file cannot initialise LEViTPose-T (other widths/attention)
        (T_MPII, 'backbone.', 'does not fit LEViTPose')
    ],
    ids=['a_prefix_that_matches_nothing', 'a_file_of_another_model'])
def test_a_converted_file_that_does_not_fit_is_refused(converted, config,
                                                       prefix, match):
    _refused(
        build(config),
        CheckpointMismatchError,
        match,
        checkpoint=str(converted[1]),
        prefix=prefix)


def test_the_imagenet_file_unconverted_is_refused(tmp_path):
    src = tmp_path / 'efficientvit_m0.pth'
    torch.save(make_state(timm_shapes()), src)
    _refused(
        build(PRETRAINED),
        CheckpointMismatchError,
        'missing key.*unexpected key',
        checkpoint=str(src))


def test_a_whole_pose_checkpoint_initialises_a_backbone(tmp_path):
    """MMPose's use: ``prefix='backbone.'`` of a trained pose model."""
    donor = build(T_MPII)
    path = tmp_path / 'pose.pth'
    torch.save({'state_dict': donor.state_dict()}, path)
    model = build(T_MPII, checkpoint=str(path), prefix='backbone.')
    model.init_weights()
    mine, theirs = model.backbone.state_dict(), donor.backbone.state_dict()
    assert all(torch.equal(mine[k], theirs[k]) for k in theirs)
