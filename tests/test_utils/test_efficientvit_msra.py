"""EfficientViT-M0 ImageNet checkpoints (Cream and timm layouts) -> the pose
baseline's backbone: what loads, what is skipped, what is refused."""
from pathlib import Path

import pytest
import torch
from efficientvit_msra_layouts import cream_shapes, make_state, timm_shapes

from levitpose.utils.efficientvit_msra import (DEFAULT_CONFIG, STEM_PREFIX,
                                               convert_efficientvit_msra,
                                               summarise)
from levitpose.utils.errors import InvalidInputError
from levitpose.utils.strict_load import CheckpointMismatchError

REPO = Path(__file__).resolve().parents[2]
LAYOUTS = {'cream': cream_shapes, 'timm': timm_shapes}
# the last stage's attention tables: 4x4 windows at 224, 7x7 in the pose model
STAGE3_BIASES = [
    f'stages.2.block{j}.mixer.fn.attn.attention_biases' for j in range(3)
]


@pytest.fixture(scope='module')
def target():
    """The pose baseline backbone's state dict (EfficientViT-M0 config)."""
    from mmengine.config import Config
    from mmpose.registry import MODELS
    cfg = Config.fromfile(str(REPO / DEFAULT_CONFIG))
    return MODELS.build(cfg.model.backbone).state_dict()


@pytest.mark.parametrize('layout', LAYOUTS)
def test_every_stage_tensor_loads_unchanged(target, layout):
    state = make_state(LAYOUTS[layout]())
    result = convert_efficientvit_msra(state, target, 'f.pth')
    assert result.loaded and len(result.loaded) == len(result.state_dict)
    for source, ours in result.loaded:
        assert torch.equal(result.state_dict[ours], state[source]), source


@pytest.mark.parametrize('layout', LAYOUTS)
def test_only_the_stem_and_stage3_biases_stay_initialised(target, layout):
    result = convert_efficientvit_msra(
        make_state(LAYOUTS[layout]()), target, 'f.pth')
    stem = [k for k in target if k.startswith(STEM_PREFIX)]
    assert stem and sorted(
        result.left_initialised) == sorted(stem + STAGE3_BIASES)
    assert set(result.state_dict) | set(result.left_initialised) == set(target)


@pytest.mark.parametrize('layout', LAYOUTS)
def test_both_layouts_map_onto_the_same_keys(target, layout):
    keys = {
        name:
        set(
            convert_efficientvit_msra(make_state(shapes()), target,
                                      'f.pth').state_dict)
        for name, shapes in LAYOUTS.items()
    }
    assert keys['cream'] == keys['timm']


def test_skipped_tensors_are_named_with_a_reason(target):
    result = convert_efficientvit_msra(
        make_state(cream_shapes()), target, 'f.pth')
    reasons = dict(result.skipped)
    assert 'stride 16' in reasons['patch_embed.0.c.weight']
    assert 'classifier' in reasons['head.l.weight']
    assert 'rebuilds' in reasons['blocks1.0.mixer.m.attn.attention_bias_idxs']
    assert '4x4' in reasons['blocks3.3.mixer.m.attn.attention_biases']
    lines = summarise(result)
    assert any(
        line.startswith('patch_embed.*: 24 tensors')
        for line in lines['skipped']), lines['skipped']
    assert 'stages.1.embed.*: 58 tensors' in lines['loaded']


def test_a_file_of_another_layout_is_refused(target):
    with pytest.raises(InvalidInputError, match='Cream or timm') as err:
        convert_efficientvit_msra(target, target, 'pose.pth')
    assert '\n' not in str(err.value)


@pytest.mark.parametrize('change, expected', [
    ('shape', 'shape mismatch'),
    ('drop', 'the file lacks: stages.1.block1.ffn1.fn.reduce.bn.bias'),
    ('extra', 'the pose backbone lacks: blocks3.6.dw0.m.c.weight'),
])
def test_a_file_that_does_not_fit_is_refused(target, change, expected):
    state = make_state(cream_shapes())
    if change == 'shape':  # e.g. EfficientViT-M1's wider first stage
        state['blocks1.0.dw0.m.c.weight'] = torch.rand(128, 1, 3, 3)
    elif change == 'drop':
        del state['blocks2.4.ffn1.m.pw2.bn.bias']
    else:  # a fourth block in the last stage (a deeper EfficientViT)
        state['blocks3.6.dw0.m.c.weight'] = torch.rand(192, 1, 3, 3)
    with pytest.raises(CheckpointMismatchError) as err:
        convert_efficientvit_msra(state, target, 'f.pth')
    assert expected in str(err.value) and '\n' not in str(err.value)
