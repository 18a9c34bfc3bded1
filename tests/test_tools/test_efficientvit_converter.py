"""tools/model_converters/efficientvit_msra2levitpose.py: converts both
published layouts, prints what it loaded and skipped, and refuses bad
input in one line (exit 1; a bad command line exit 2), writing nothing."""
import runpy

import pytest
import torch
from efficientvit_msra_layouts import cream_shapes, make_state, timm_shapes
from tool_runner import QUICKSTART, REPO_ROOT, python_tool

TOOL = 'tools/model_converters/efficientvit_msra2levitpose.py'


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
