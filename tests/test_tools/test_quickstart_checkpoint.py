"""The shipped quick-start checkpoint scores what its README says.

(Training the quick start from scratch to its target AP is tested once, on
the docs' own training command: ``tests/test_docs/test_code_blocks.py``.)
"""
import json

import pytest
from tool_runner import QUICKSTART, python_tool

pytestmark = pytest.mark.slow


def test_shipped_checkpoint_scores_ap_1(tmp_path):
    metrics_file = tmp_path / 'metrics.json'
    result = python_tool('tools/test.py', QUICKSTART,
                         'checkpoints/levitpose-t_sample-coco-256x256.pth',
                         '--work-dir', str(tmp_path / 'test'), '--out',
                         str(metrics_file))
    assert result.returncode == 0, result.stderr[-3000:]
    metrics = json.loads(metrics_file.read_text())
    # checkpoints/README.md: "COCO AP 1.000 on those same images"
    assert metrics['coco/AP'] == pytest.approx(1.0, abs=5e-4), metrics
