"""A checkpoint whose unpickling would run code is refused by every entry
point that reads a ``.pth``, naming the offending global, and runs nothing.

The payload calls ``os.system('touch <sentinel>')``; each test asserts the
sentinel file never appears.
"""
import os
import subprocess
import sys
from pathlib import Path

import mmpose
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmpose.apis import init_model
from mmpose.registry import MODELS

from levitpose.utils.checkpoint import UnsafeCheckpointError

REPO = Path(__file__).resolve().parents[2]
TINY_CONFIG = REPO / 'tests' / 'data' / 'reliability' / 'tiny_topdown_coco.py'
ZOO_CONFIG = (
    REPO / 'configs' / 'body_2d_keypoint' / 'topdown_heatmap' / 'coco' /
    'td-hm_levitpose-t_8xb64-210e_coco-256x256.py')
MIM_TOOLS = Path(mmpose.__file__).parent / '.mim' / 'tools'
SAMPLE_IMAGE = (
    REPO / '..' / 'shared' / 'data' / 'mmpose' / 'tests' / 'data' / 'coco' /
    '000000000785.jpg')
OFFENDER = 'posix.system'


class SystemPayload:

    def __init__(self, sentinel):
        self.sentinel = str(sentinel)

    def __reduce__(self):
        return os.system, (f'touch {self.sentinel}', )


@pytest.fixture
def malicious(tmp_path) -> Path:
    """A plausible checkpoint (real weights of the tiny model's shape do not
    matter: loading must stop before any weight is used)."""
    path = tmp_path / 'epoch_1.pth'
    torch.save(
        {
            'meta': {
                'epoch': 1,
                'iter': 3,
                'note': SystemPayload(tmp_path / 'PWNED')
            },
            'state_dict': {
                'backbone.conv1.conv.weight': torch.zeros(8, 3, 3, 3)
            },
        }, path)
    return path


def assert_nothing_ran(malicious: Path) -> None:
    assert not (malicious.parent / 'PWNED').exists()


@pytest.mark.parametrize(
    'config', [TINY_CONFIG, ZOO_CONFIG], ids=['tiny', 'levitpose-t'])
def test_init_model(malicious, config):
    with pytest.raises(UnsafeCheckpointError, match=OFFENDER):
        init_model(str(config), str(malicious), device='cpu')
    assert_nothing_ran(malicious)


def test_mmpose_inferencer(malicious):
    from mmpose.apis import MMPoseInferencer
    with pytest.raises(UnsafeCheckpointError, match=OFFENDER):
        MMPoseInferencer(
            pose2d=str(TINY_CONFIG),
            pose2d_weights=str(malicious),
            det_model='whole_image',
            device='cpu')
    assert_nothing_ran(malicious)


def test_pretrained_init_cfg(malicious):
    cfg = Config.fromfile(str(TINY_CONFIG))
    cfg.model.backbone.init_cfg = dict(
        type='Pretrained', checkpoint=str(malicious))
    init_default_scope('mmpose')
    model = MODELS.build(cfg.model)
    with pytest.raises(UnsafeCheckpointError, match=OFFENDER):
        model.init_weights()
    assert_nothing_ran(malicious)


def cli_cases():
    """(id, argv builder) for every CLI that reads a checkpoint."""
    cases = {
        'mim-train-load_from':
        lambda ckpt, out: [
            MIM_TOOLS / 'train.py', TINY_CONFIG, '--work-dir', out,
            '--cfg-options', f'load_from={ckpt}'
        ],
        'mim-train-resume':
        lambda ckpt, out: [
            MIM_TOOLS / 'train.py', TINY_CONFIG, '--work-dir', out, '--resume',
            ckpt
        ],
        'mim-test':
        lambda ckpt, out:
        [MIM_TOOLS / 'test.py', TINY_CONFIG, ckpt, '--work-dir', out],
        'pytorch2onnx':
        lambda ckpt, out: [
            REPO / 'tools' / 'deployment' / 'pytorch2onnx.py', ZOO_CONFIG,
            ckpt, '--output-file', out / 'model.onnx'
        ],
    }
    ours = {  # our own CLIs must also print one line, no traceback
        'tools-train-load_from':
        lambda ckpt, out: [
            REPO / 'tools' / 'train.py', TINY_CONFIG, '--work-dir', out,
            '--cfg-options', f'load_from={ckpt}'
        ],
        'tools-train-resume':
        lambda ckpt, out: [
            REPO / 'tools' / 'train.py', TINY_CONFIG, '--work-dir', out,
            '--resume', ckpt
        ],
        'tools-test':
        lambda ckpt, out:
        [REPO / 'tools' / 'test.py', TINY_CONFIG, ckpt, '--work-dir', out],
        'demo':
        lambda ckpt, out: [
            REPO / 'demo' / 'topdown_demo_with_mmdet.py', '--pose-config',
            ZOO_CONFIG, '--pose-checkpoint', ckpt, '--input', SAMPLE_IMAGE,
            '--output-root', out
        ],
        'convert_ckpt':
        lambda ckpt, out:
        [REPO / 'tools' / 'convert_ckpt.py', ckpt, out / 'converted.pth'],
    }
    for name, argv in ours.items():  # tools written by other issues
        if argv(Path(), Path())[0].is_file():
            cases[name] = argv
    return cases


CLI_CASES = cli_cases()
OWN_CLIS = {n for n in CLI_CASES if not n.startswith('mim')}


@pytest.mark.slow
@pytest.mark.parametrize('name', list(CLI_CASES))
def test_cli_refuses_and_runs_nothing(name, malicious, tmp_path):
    out = tmp_path / 'out'
    out.mkdir()
    argv = [str(a) for a in CLI_CASES[name](malicious, out)]
    proc = subprocess.run([sys.executable, *argv],
                          cwd=REPO,
                          env=dict(os.environ, OMP_NUM_THREADS='1'),
                          capture_output=True,
                          text=True,
                          timeout=300)
    assert proc.returncode != 0
    assert OFFENDER in proc.stdout + proc.stderr
    assert_nothing_ran(malicious)
    if name in OWN_CLIS:
        assert 'Traceback' not in proc.stderr, proc.stderr[-2000:]
