"""``tools/analysis_tools/track_eval.py``: figures and plot on the bundled
pan, and one-line errors for bad input with nothing written."""
import json
import shutil

import cv2
import numpy as np
import pytest
from tool_runner import python_tool

TOOL = 'tools/analysis_tools/track_eval.py'
VIDEO = 'demo/resources/crowdpose_103319_pan.mp4'


def test_writes_table_and_plot(tmp_path):
    result = python_tool(TOOL, VIDEO, '--noise', '1', '--intervals', '5',
                         '--overlap-ious', '0.7', '--matching', 'hungarian',
                         '--beta', '8', '--out-dir', str(tmp_path))
    assert result.returncode == 0, result.stderr
    table = (tmp_path / 'track_eval_videos.md').read_text()
    rows = [line for line in table.splitlines() if '| every 5th |' in line]
    assert len(rows) == 2  # the pan and the two overlapping people
    assert rows[0].startswith('| crowdpose_103319_pan.mp4 | 1 | every 5th')
    assert '| 150 | 100.0% |' in rows[0]
    assert rows[1].startswith('| two people at IoU 0.7')
    assert (tmp_path / 'track_eval.png').stat().st_size > 0


@pytest.mark.parametrize('args,message', [
    (['--noise', '60'], '--noise must be in [0, 50]'),
    (['--noise', '-1'], '--noise must be in [0, 50]'),
    (['--intervals', '0'], '--intervals must be >= 1'),
    (['--miss-rates', '1'], '--miss-rates must be in [0, 1)'),
    (['--beta', '-1'], '--beta must be >= 0'),
    (['--matching', 'nearest'], 'invalid choice'),
    (['--gt', 'a.json', 'b.json'], 'got 2 --gt files for 1 videos'),
    (['--reid-memory', '-1'], '--reid-memory must be >= 0'),
    (['--reid-thr', '1.5'], '--reid-thr must be in [0, 1]'),
])
def test_usage_errors_are_one_line_and_2(tmp_path, args, message):
    result = python_tool(TOOL, VIDEO, *args, '--out-dir', str(tmp_path))
    assert result.returncode == 2
    assert result.stderr.count('\n') == 1 and message in result.stderr
    assert not list(tmp_path.iterdir())


def write_video(path, frames, size=(480, 360)):
    writer = cv2.VideoWriter(
        str(path), cv2.VideoWriter_fourcc(*'mp4v'), 15, size)
    for _ in range(frames):
        writer.write(np.zeros((size[1], size[0], 3), np.uint8))
    writer.release()


@pytest.mark.parametrize(
    'frames,size,message',
    [
        (60, (480, 360), 'annotates 75 frames but the video has 60'),
        (75, (320, 240), 'is for 480x360 frames but the video is 320x240'),
        (0, (480, 360), 'clip.mp4'),  # empty: cannot open, or no frame
    ])
def test_annotations_not_matching_the_video_are_one_line_and_1(
        repo_root, tmp_path, frames, size, message):
    video = tmp_path / 'clip.mp4'
    write_video(video, frames, size)
    shutil.copy(repo_root / 'demo/resources/crowdpose_103319_pan.json',
                tmp_path / 'clip.json')
    out = tmp_path / 'out'
    result = python_tool(TOOL, str(video), '--out-dir', str(out))
    assert result.returncode == 1
    assert result.stderr.count('\n') == 1 and message in result.stderr
    assert not out.exists()


def test_annotations_without_keypoints_are_one_line_and_1(repo_root, tmp_path):
    gt = json.loads(
        (repo_root / 'demo/resources/crowdpose_103319_pan.json').read_text())
    for frame in gt['frames']:
        del frame['keypoints']
    path = tmp_path / 'boxes_only.json'
    path.write_text(json.dumps(gt))
    result = python_tool(TOOL, VIDEO, '--gt', str(path), '--out-dir',
                         str(tmp_path / 'out'))
    assert result.returncode == 1
    assert result.stderr.count('\n') == 1 and 'keypoints' in result.stderr


def test_header_names_matching_and_smoothing(tmp_path):
    result = python_tool(TOOL, VIDEO, '--noise', '0', '--intervals', '5',
                         '--matching', 'hungarian', '--beta', '3', '--out-dir',
                         str(tmp_path))
    assert result.returncode == 0, result.stderr
    header = (tmp_path / 'track_eval.md').read_text().split('|')[0]
    assert 'hungarian matching' in header and "'beta': 3.0" in header


def test_one_row_per_reid_memory(tmp_path):
    result = python_tool(TOOL, VIDEO, '--noise', '1', '--intervals', '5',
                         '--reid-memory', '0', '60', '--reid-thr', '0.5',
                         '--out-dir', str(tmp_path))
    assert result.returncode == 0, result.stderr
    text = (tmp_path / 'track_eval_videos.md').read_text()
    rows = [line for line in text.splitlines() if '| every 5th |' in line]
    assert [row.split(' | ')[4] for row in rows] == ['0', '60']
    assert 'appearance similarity >= 0.5' in text.split('|')[0]
