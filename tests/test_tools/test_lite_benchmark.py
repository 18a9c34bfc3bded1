"""``tools/analysis_tools/lite_benchmark.py``: fp32 and int8 models on both
backends in one torch-free run, with a table, a CSV and a plot."""
import csv
import re

import pytest
from tool_runner import python_tool

TOOL = 'tools/analysis_tools/lite_benchmark.py'


def _run(*args):
    return python_tool(TOOL, *args)


@pytest.fixture(scope='module')
def int8_export(levitpose_t_coco, coco_samples, tmp_path_factory):
    from levitpose_lite import TopDownPoseONNX
    from levitpose_lite.quantize import (calibration_crops, int8_settings,
                                         quantize_model)
    crops = calibration_crops(
        TopDownPoseONNX(levitpose_t_coco[2]),
        str(coco_samples[0][0].parent),
        max_crops=2)
    path = str(tmp_path_factory.mktemp('bench') / 'int8.onnx')
    quantize_model(levitpose_t_coco[2], path, crops, int8_settings())
    return path


def test_table_csv_and_plot_without_torch(coco_samples, levitpose_t_coco,
                                          int8_export, tmp_path):
    image_path, boxes, _ = max(coco_samples, key=lambda s: len(s[1]))
    bbox_args = [a for box in boxes[:3] for a in ['--bbox', *map(str, box)]]
    result = _run(f'T={levitpose_t_coco[2]}', f'T={int8_export}', '--image',
                  str(image_path), *bbox_args, '--backend', 'onnxruntime',
                  'openvino', '--bf16', '--rounds', '2', '--warmup', '1',
                  '--threads', '1', '--out-dir', str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert 'frame: 3 people in one call' in result.stdout
    for precision in ('fp32', 'int8'):
        for backend in ('onnxruntime', 'openvino'):
            assert re.search(
                rf'\| T \| {precision} \| {backend} \| 256x256 \| '
                r'[\d.]+ \([\d.]+\) \|', result.stdout), (precision, backend)
    assert re.search(r'peak RSS: [\d.]+ MiB', result.stdout)
    assert 'heavy modules imported: none' in result.stdout
    with open(tmp_path / 'lite_benchmark.csv', newline='') as f:
        rows = list(csv.DictReader(f))
    # --bf16: each fp32 model once more in OpenVINO, in bfloat16
    assert [(r['precision'], r['backend'])
            for r in rows] == [('fp32', 'onnxruntime'), ('fp32', 'openvino'),
                               ('bf16', 'openvino'), ('int8', 'onnxruntime'),
                               ('int8', 'openvino')]
    assert rows[0]['speedup_vs_ref'] == '1.00'  # the reference: first row
    assert rows[0]['speedup_vs_fp32'] == '' and rows[2]['speedup_vs_fp32']
    assert rows[3]['speedup_vs_fp32']
    assert (tmp_path / 'lite_benchmark.png').stat().st_size > 0
    table = (tmp_path / 'lite_benchmark.md').read_text()
    assert '| T | int8 | openvino |' in table


def test_missing_model_is_a_one_line_error(coco_samples, tmp_path):
    result = _run(
        str(tmp_path / 'none.onnx'), '--image', str(coco_samples[0][0]))
    assert result.returncode == 1
    assert result.stderr.strip() == (f'error: ONNX model {tmp_path}/none.onnx '
                                     'does not exist')


@pytest.mark.parametrize('which', ['model', 'image'])
def test_a_folder_is_not_a_file(coco_samples, levitpose_t_coco, tmp_path,
                                which):
    model, image = levitpose_t_coco[2], str(coco_samples[0][0])
    if which == 'model':
        model = str(tmp_path)
    else:
        image = str(tmp_path)
    result = _run(model, '--image', image)
    assert result.returncode == 1
    assert result.stderr.strip().endswith(f'{tmp_path} is a folder, not a '
                                          'file')
    assert len(result.stderr.strip().splitlines()) == 1


def test_same_row_twice_is_refused(coco_samples, levitpose_t_coco):
    result = _run(levitpose_t_coco[2], levitpose_t_coco[2], '--image',
                  str(coco_samples[0][0]))
    assert result.returncode == 1
    assert result.stderr.startswith('error: two models are')
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize('args, message', [
    (['--bbox', '10', '10', '10', '10'], 'zero or negative size'),
    (['--out-dir', '/proc/no/such/dir'], '/proc/no/such/dir'),
])
def test_bad_input_exits_1_before_timing(coco_samples, levitpose_t_coco, args,
                                         message):
    result = _run(levitpose_t_coco[2], '--image', str(coco_samples[0][0]),
                  *args)
    assert result.returncode == 1
    assert result.stderr.startswith('error: ') and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize('args, message', [
    (['--rounds', '1'], '--rounds must be >= 2, got 1'),
    (['--reference', 'X:fp32:onnxruntime'], '--reference X:fp32:onnxruntime '
     'is not a row'),
    (['--backend', 'tensorrt'], "invalid choice: 'tensorrt'"),
    (['--bf16'], '--bf16 runs models in OpenVINO: add openvino to '
     '--backend'),
])
def test_usage_errors_exit_2(coco_samples, levitpose_t_coco, args, message):
    result = _run(levitpose_t_coco[2], '--image', str(coco_samples[0][0]),
                  *args)
    assert result.returncode == 2
    assert result.stderr.startswith('error: ') and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
