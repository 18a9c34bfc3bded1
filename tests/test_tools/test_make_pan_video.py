"""``tools/misc/make_pan_video.py``: the bundled video is reproducible from
its recorded command, with the same two people in every frame; bad input
ends in one line."""
import hashlib
import json

import numpy as np
import pytest
from tool_runner import python_tool

from levitpose_lite.video import read_frames

TOOL = 'tools/misc/make_pan_video.py'
VIDEO = 'demo/resources/crowdpose_103319_pan.mp4'
GT = 'demo/resources/crowdpose_103319_pan.json'
CROWDPOSE = 'mmpose/tests/data/crowdpose'


def sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_bundled_video_is_made_by_its_recorded_command(repo_root, shared_data,
                                                       tmp_path):
    out = tmp_path / 'pan.mp4'
    result = python_tool(TOOL, str(shared_data / CROWDPOSE / '103319.jpg'),
                         str(shared_data / CROWDPOSE / 'test_crowdpose.json'),
                         str(out))
    assert result.returncode == 0, result.stderr
    assert sha256(out) == sha256(repo_root / VIDEO)
    assert sha256(out.with_suffix('.json')) == sha256(repo_root / GT)


def test_the_same_two_people_are_in_every_frame(repo_root):
    gt = json.loads((repo_root / GT).read_text())
    frames, _ = read_frames(str(repo_root / VIDEO))
    assert len(frames) == len(gt['frames']) == 75 >= 60
    boxes = np.array([f['boxes'] for f in gt['frames']])  # (75, 2, 4)
    assert boxes.shape == (75, 2, 4)
    heights = boxes[..., 3] - boxes[..., 1]
    assert heights.min() > 128  # tall enough for the HOG fallback


@pytest.mark.parametrize('args, code, message', [
    (['{image}', '{ann}', '{out}', '--frames', '1'], 2, 'need --frames >= 2'),
    (['{image}', '{ann}', '{out}', '--size', '0', '9'
      ], 2, '--size must be positive'),
    (['{tmp}/none.jpg', '{ann}', '{out}'], 1, 'image {tmp}/none.jpg does not '
     'exist'),
    (['{tmp}', '{ann}', '{out}'], 1, 'image {tmp} is a folder, not a file'),
    (['{image}', '{tmp}', '{out}'], 1, 'annotations {tmp} is a folder'),
    (['{image}', 'README.md', '{out}'], 1, 'README.md is not JSON'),
])
def test_bad_input_is_one_line(shared_data, tmp_path, args, code, message):
    names = dict(
        image=shared_data / CROWDPOSE / '103319.jpg',
        ann=shared_data / CROWDPOSE / 'test_crowdpose.json',
        out=tmp_path / 'pan.mp4',
        tmp=tmp_path)
    result = python_tool(TOOL, *(a.format(**names) for a in args))
    assert result.returncode == code
    assert result.stderr.startswith('error: ')
    assert message.format(**names) in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / 'pan.mp4').exists()
