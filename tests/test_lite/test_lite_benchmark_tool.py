"""``tools/analysis_tools/lite_benchmark.py`` runs torch-free and reports
latency and peak RSS."""
import re
import subprocess
import sys


def _run(repo_root, *args):
    return subprocess.run([
        sys.executable,
        str(repo_root / 'tools/analysis_tools/lite_benchmark.py'), *args
    ],
                          capture_output=True,
                          text=True)


def test_reports_latency_and_rss_without_torch(repo_root, coco_samples,
                                               levitpose_t_coco):
    image_path, boxes, _ = coco_samples[0]
    box = [str(v) for v in boxes[0]]
    result = _run(repo_root, levitpose_t_coco[2], '--image', str(image_path),
                  '--bbox', *box, '--num-crops', '4', '--warmup', '1')
    assert result.returncode == 0, result.stderr
    assert re.search(r'latency per person: median [\d.]+ ms', result.stdout)
    assert re.search(r'peak RSS: [\d.]+ MiB', result.stdout)
    assert 'heavy modules imported: none' in result.stdout


def test_missing_model_is_a_one_line_error(repo_root, coco_samples, tmp_path):
    result = _run(repo_root, str(tmp_path / 'none.onnx'), '--image',
                  str(coco_samples[0][0]))
    assert result.returncode == 2
    assert result.stderr.strip().startswith('error: ONNX model not found')
    assert len(result.stderr.strip().splitlines()) == 1
