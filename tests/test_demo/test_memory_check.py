"""Steady memory: RSS does not grow during top-down inference over many
frames (levitpose.demo_app.memory_check,
tools/analysis_tools/memory_check.py).
"""
import mmap
import subprocess
import sys
from pathlib import Path

import mmpose.apis
import pytest
import torch

from levitpose.apis import init_pose_model
from levitpose.demo_app.memory_check import growth_after_warmup, rss_curve
from levitpose.utils import UsageError

REPO = Path(__file__).resolve().parents[2]
VIDEO = REPO / '..' / 'shared' / 'data' / 'mmpose' / 'demo' / 'resources' / \
    'demo.mp4'
CONFIG = (
    REPO / 'configs' / 'body_2d_keypoint' / 'topdown_heatmap' / 'coco' /
    'td-hm_levitpose-t_8xb64-210e_coco-256x256.py')
FRAMES, WARMUP, WINDOW = 100, 40, 20
LIMIT_MIB = 20.0


@pytest.mark.slow
@pytest.mark.serial  # measures this process's memory: not in a busy worker
def test_inference_rss_is_steady_after_warmup():
    torch.set_num_threads(1)
    model = init_pose_model(str(CONFIG))
    curve = rss_curve(model, str(VIDEO), FRAMES)
    assert len(curve) == FRAMES
    assert growth_after_warmup(curve, WARMUP, WINDOW) <= LIMIT_MIB


def test_a_leak_of_this_size_is_detected(monkeypatch):
    """The bound is meaningful: retaining 1 MiB per frame (40 MiB between
    the medians of the two windows) fails it."""
    kept = []

    def leaking_inference(model, frame, bboxes):
        # fresh pages (an anonymous map), so freed heap cannot absorb it
        block = mmap.mmap(-1, 2**20)
        block.write(b'\x01' * 2**20)
        kept.append(block)

    monkeypatch.setattr(mmpose.apis, 'inference_topdown', leaking_inference)
    curve = rss_curve(None, str(VIDEO), FRAMES)
    assert growth_after_warmup(curve, WARMUP, WINDOW) > LIMIT_MIB


def test_transient_peaks_are_not_growth():
    curve = [100.0] * 60
    curve[50] = 180.0  # one frame with many boxes
    assert growth_after_warmup(curve, 20, 20) == 0.0


def test_bad_window_raises():
    with pytest.raises(UsageError, match='warmup'):
        growth_after_warmup([1.0] * 10, 5, 8)


def test_cli_rejects_missing_input(tmp_path):
    proc = subprocess.run([
        sys.executable,
        str(REPO / 'tools' / 'analysis_tools' / 'memory_check.py'), '--input',
        str(tmp_path / 'missing.mp4')
    ],
                          capture_output=True,
                          text=True,
                          timeout=120)
    assert proc.returncode == 1  # a bad input, not a bad command line
    assert proc.stderr.startswith('error: ') and 'missing.mp4' in proc.stderr
    assert 'Traceback' not in proc.stderr
