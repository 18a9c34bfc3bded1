"""``tools/deployment/test_onnx.py`` and ``quantize_onnx.py`` on the shipped
checkpoint: the ONNX path scores what ``tools/test.py`` scores, int8 stays
close, and bad input ends in one line.

The shipped checkpoints are found by name (``checkpoints/<name>.pth`` with
``configs/quickstart/<name>.py``), so these tests follow a retrained one.
"""
import functools
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
#: ``tools/test.py`` (PyTorch) vs ``test_onnx.py`` (fp32 ONNX, lite).
AP_TOL_FP32 = 0.005
#: int8 vs fp32, both through ``test_onnx.py`` (issue 16's target).
AP_TOL_INT8 = 0.02
#: ONNX Runtime vs OpenVINO on the same fp32 file.
AP_TOL_BACKENDS = 0.005
SAMPLE = 'data/sample-coco/'
DET_FILE = SAMPLE + 'person_detection_results/' \
    'sample_detections_AP_H_56_person.json'


def shipped_models():
    """``(config, checkpoint)`` of every shipped quick-start checkpoint."""
    return [
        (REPO_ROOT / 'configs/quickstart' / f'{ckpt.stem}.py', ckpt)
        for ckpt in sorted((REPO_ROOT / 'checkpoints').glob('*.pth'))
        if (REPO_ROOT / 'configs/quickstart' / f'{ckpt.stem}.py').is_file()
    ]


def _python(*args, timeout=900):
    return subprocess.run([sys.executable, *map(str, args)],
                          cwd=REPO_ROOT,
                          capture_output=True,
                          text=True,
                          timeout=timeout)


def _ap(out_file: Path) -> float:
    return json.loads(out_file.read_text())['coco/AP']


def test_a_shipped_checkpoint_is_found():
    found = shipped_models()
    assert found, 'no checkpoints/X.pth with configs/quickstart/X.py'


@pytest.fixture(
    scope='module', params=shipped_models(), ids=lambda m: m[1].name)
def shipped(request, shipped_onnx_of, tmp_path_factory):
    """``(config, checkpoint, fp32 onnx from pytorch2onnx.py, work dir)``."""
    config, checkpoint = request.param
    work = tmp_path_factory.mktemp(checkpoint.stem)
    return config, checkpoint, shipped_onnx_of(config, checkpoint), work


@pytest.fixture(scope='module')
def torch_ap(shipped):
    """The AP that ``tools/test.py`` (PyTorch) gives the checkpoint."""
    config, checkpoint, _, work = shipped
    result = _python('tools/test.py', config, checkpoint, '--work-dir',
                     work / 'test', '--out', work / 'torch.json')
    assert result.returncode == 0, result.stderr[-2000:]
    return _ap(work / 'torch.json')


@pytest.mark.slow
def test_fp32_onnx_scores_what_tools_test_scores(shipped, torch_ap):
    config, _, onnx_file, work = shipped
    out = work / 'onnx.json'
    result = _python('tools/deployment/test_onnx.py', config, onnx_file,
                     '--out', out)
    assert result.returncode == 0, result.stderr
    printed = float(
        re.search(r'^coco/AP: ([\d.]+)$', result.stdout, re.M).group(1))
    assert printed == pytest.approx(_ap(out), abs=1e-6)
    assert abs(_ap(out) - torch_ap) <= AP_TOL_FP32, (_ap(out), torch_ap)


@pytest.mark.slow
def test_openvino_scores_what_onnxruntime_scores(shipped, torch_ap):
    config, _, onnx_file, work = shipped
    out = work / 'openvino.json'
    result = _python('tools/deployment/test_onnx.py', config, onnx_file,
                     '--backend', 'openvino', '--out', out)
    assert result.returncode == 0, result.stderr
    assert abs(_ap(out) - torch_ap) <= AP_TOL_FP32 + AP_TOL_BACKENDS


@pytest.mark.slow
def test_bf16_in_openvino_keeps_the_ap(shipped, torch_ap):
    config, _, onnx_file, work = shipped
    out = work / 'bf16.json'
    result = _python('tools/deployment/test_onnx.py', config, onnx_file,
                     '--backend', 'openvino', '--precision', 'bf16', '--out',
                     out)
    if 'needs a CPU with bfloat16' in result.stderr:
        pytest.skip('this CPU has no bfloat16')
    assert result.returncode == 0, result.stderr
    assert '(bf16)' in result.stdout
    assert abs(_ap(out) - torch_ap) <= AP_TOL_FP32 + AP_TOL_INT8


@pytest.mark.slow
def test_int8_runs_and_keeps_the_ap(shipped, torch_ap):
    config, _, onnx_file, work = shipped
    int8 = work / 'int8.onnx'
    result = _python('tools/deployment/quantize_onnx.py', onnx_file,
                     '--calib-dir', REPO_ROOT / SAMPLE / 'images',
                     '--ann-file', REPO_ROOT / DET_FILE, '--output-file', int8)
    assert result.returncode == 0, result.stderr
    assert re.search(
        r'^int8 settings: QDQ, .*reduce_range=(True|False) '
        r'\(.+\); scope dense-conv$', result.stdout, re.M)
    assert 'it loads and runs in ONNX Runtime' in result.stdout
    out = work / 'int8.json'
    result = _python('tools/deployment/test_onnx.py', config, int8, '--out',
                     out)
    assert result.returncode == 0, result.stderr
    assert abs(_ap(out) - torch_ap) <= AP_TOL_FP32 + AP_TOL_INT8


def _one_line_error(result, code, message):
    assert result.returncode == code, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith('error: '), lines
    assert message in lines[0]


@pytest.fixture
def run_test_onnx(run_main):
    """``tools/deployment/test_onnx.py argv``, in-process."""
    return functools.partial(run_main, 'tools/deployment/test_onnx.py')


def test_test_onnx_missing_model_exits_1(run_test_onnx, tmp_path):
    config = shipped_models()[0][0]
    result = run_test_onnx(config, tmp_path / 'none.onnx')
    _one_line_error(result, 1, 'none.onnx does not exist')


def test_test_onnx_missing_config_exits_1(run_test_onnx, shipped):
    result = run_test_onnx('nope.py', shipped[2])
    _one_line_error(result, 1, 'nope.py')


def test_test_onnx_bad_threads_exits_2(run_test_onnx, shipped):
    result = run_test_onnx(shipped[0], shipped[2], '--threads', '0')
    _one_line_error(result, 2, '--threads must be >= 1, got 0')


def test_test_onnx_bf16_needs_openvino(run_test_onnx, shipped):
    result = run_test_onnx(shipped[0], shipped[2], '--precision', 'bf16')
    _one_line_error(
        result, 2, '--precision bf16 runs in OpenVINO: add '
        '--backend openvino')


def test_test_onnx_size_mismatch_exits_1(run_test_onnx, shipped):
    result = run_test_onnx(shipped[0], shipped[2], '--cfg-options',
                           'codec.input_size=(192,256)')
    _one_line_error(result, 1, 'does not match')


def test_test_onnx_corrupt_model_exits_1(run_test_onnx, shipped, tmp_path):
    bad = tmp_path / 'bad.onnx'
    bad.write_bytes(b'not a model')
    result = run_test_onnx(shipped[0], bad)
    _one_line_error(result, 1, 'cannot load ONNX model')


@pytest.mark.parametrize('args, code, message', [
    (['--calib-dir', 'nowhere'], 1, '--calib-dir nowhere is not a folder'),
    (['--ann-file', 'none.json'], 1, '--ann-file none.json does not exist'),
    (['--max-crops', '0'], 2, '--max-crops must be >= 1'),
    (['--reduce-range', 'maybe'], 2, "invalid choice: 'maybe'"),
    (['--scope', 'everything'], 2, "invalid choice: 'everything'"),
    (['--ann-file', 'README.md'], 1, '--ann-file is not JSON'),
])
def test_quantize_onnx_user_errors(shipped, tmp_path, args, code, message):
    base = {
        '--calib-dir': str(REPO_ROOT / SAMPLE / 'images'),
        '--output-file': str(tmp_path / 'int8.onnx')
    }
    base.update(dict(zip(args[::2], args[1::2])))
    argv = [a for kv in base.items() for a in kv]
    result = _python('tools/deployment/quantize_onnx.py', shipped[2], *argv)
    _one_line_error(result, code, message)


def test_quantize_onnx_refuses_to_overwrite_its_input(shipped, tmp_path):
    model = tmp_path / 'fp32.onnx'  # a copy: the export is shared
    shutil.copyfile(shipped[2], model)
    result = _python('tools/deployment/quantize_onnx.py', model, '--calib-dir',
                     REPO_ROOT / SAMPLE / 'images', '--output-file', model)
    _one_line_error(result, 2, 'must differ from the input model')
