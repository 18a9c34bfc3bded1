"""tools/model_converters/efficientvit_msra2levitpose.py: converts both
published EfficientViT-M0 ImageNet layouts (Cream and timm) onto the pose
baseline's backbone, prints what it loaded and skipped, and refuses bad
input in one line (exit 1; a bad command line exit 2), writing nothing."""
import runpy

import pytest
import torch
from efficientvit_msra_layouts import cream_shapes, make_state, timm_shapes
from tool_runner import QUICKSTART, REPO_ROOT, python_tool

from levitpose.utils.errors import InvalidInputError
from levitpose.utils.strict_load import CheckpointMismatchError

TOOL = 'tools/model_converters/efficientvit_msra2levitpose.py'
CONVERTER = runpy.run_path(str(REPO_ROOT / TOOL), run_name='tool')
convert_efficientvit_msra = CONVERTER['convert_efficientvit_msra']


def convert(capsys, *argv):
    """(exit status, stdout, stderr lines) of the converter in-process."""
    main = runpy.run_path(str(REPO_ROOT / TOOL), run_name='tool')['main']
    try:
        code = main(list(argv))
    except SystemExit as exit_:  # argparse
        code = exit_.code
    out = capsys.readouterr()
    return code, out.out, [ln for ln in out.err.splitlines() if ln.strip()]


@pytest.mark.parametrize('layout', ['cream', 'timm'])
def test_converts_and_names_what_it_loads_and_skips(capsys, tmp_path, layout):
    src, dst = tmp_path / 'm0.pth', tmp_path / 'out.pth'
    state = make_state(cream_shapes() if layout == 'cream' else timm_shapes())
    torch.save({'model': state} if layout == 'cream' else state, src)
    code, out, err = convert(capsys, str(src), str(dst))
    assert code == 0, err
    assert f'{layout} layout' in out
    assert 'stages.2.block2.*: ' in out  # loaded, per module
    assert 'patch_embed.*: 24 tensors' in out  # skipped: the stem
    assert 'head.*' in out
    assert 'stages.0.embed.*: 12 tensors' in out  # left initialised
    saved = torch.load(dst, weights_only=True)
    assert all(k.startswith('backbone.') for k in saved['state_dict'])
    assert saved['meta']['layout'] == layout


@pytest.mark.parametrize('make', ['missing', 'not_a_checkpoint', 'other'])
def test_bad_input_is_one_line_and_1(capsys, tmp_path, make):
    src, dst = tmp_path / 'm0.pth', tmp_path / 'out.pth'
    if make == 'not_a_checkpoint':
        src.write_text('hello')
    elif make == 'other':  # an EfficientViT-M1-like first stage
        state = make_state(timm_shapes())
        state['stages.0.blocks.0.dw0.m.conv.weight'] = torch.rand(128, 1, 3, 3)
        torch.save(state, src)
    code, _, err = convert(capsys, str(src), str(dst))
    assert code == 1 and len(err) == 1, err
    assert err[0].startswith('error: ') and str(src) in err[0]
    assert not dst.exists()


def test_a_config_without_efficientvit_is_refused(capsys, tmp_path):
    src = tmp_path / 'm0.pth'
    torch.save(make_state(timm_shapes()), src)
    code, _, err = convert(capsys, str(src), str(tmp_path / 'o.pth'),
                           '--config', QUICKSTART)
    assert code == 1 and len(err) == 1
    assert 'no ImageNet weights exist at LEViTPose-T/S widths' in err[0]


def test_output_must_be_a_pth_file(capsys, tmp_path):
    code, _, err = convert(capsys, 'in.pth', str(tmp_path / 'out.bin'))
    assert code == 2 and len(err) == 1 and 'must end with .pth' in err[0]


def test_training_with_a_missing_pretrained_file_is_one_line(tmp_path):
    """The command-line way: --cfg-options on any config."""
    proc = python_tool(
        'tools/train.py', QUICKSTART, '--work-dir', str(tmp_path),
        '--cfg-options', 'model.backbone.init_cfg.type=StrictPretrained',
        f'model.backbone.init_cfg.checkpoint={tmp_path}/none.pth',
        'train_dataloader.num_workers=0', 'val_dataloader.num_workers=0')
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert proc.returncode == 1, proc.stderr[-2000:]
    assert lines[-1] == f'error: checkpoint {tmp_path}/none.pth does not exist'
    assert 'Traceback' not in proc.stderr


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
    cfg = Config.fromfile(str(REPO_ROOT / CONVERTER['DEFAULT_CONFIG']))
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
    stem = [k for k in target if k.startswith(CONVERTER['STEM_PREFIX'])]
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
    lines = CONVERTER['summarise'](result)
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
