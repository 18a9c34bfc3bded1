"""Atomic output writing: complete files or none."""
import json

import cv2
import numpy as np
import pytest

from levitpose.demo_app import AtomicVideoWriter, write_image, write_json


def test_json_converts_numpy_and_leaves_no_partial(tmp_path):
    path = tmp_path / 'r.json'
    write_json(str(path), dict(a=np.arange(3), b=np.float32(0.5)))
    assert json.loads(path.read_text()) == dict(a=[0, 1, 2], b=0.5)
    assert [p.name for p in tmp_path.iterdir()] == ['r.json']


def test_image_round_trips(tmp_path):
    img = np.random.default_rng(0).integers(0, 255, (20, 30, 3), np.uint8)
    write_image(str(tmp_path / 'a.png'), img)
    np.testing.assert_array_equal(cv2.imread(str(tmp_path / 'a.png')), img)


def test_video_is_renamed_only_when_complete(tmp_path):
    path = tmp_path / 'v.mp4'
    frame = np.zeros((64, 64, 3), np.uint8)
    with AtomicVideoWriter(str(path), fps=5) as writer:
        for _ in range(3):
            writer.write(frame)
        assert not path.exists()  # still a hidden partial file
    capture = cv2.VideoCapture(str(path))
    assert int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) == 3
    assert [p.name for p in tmp_path.iterdir()] == ['v.mp4']


def test_interrupted_video_keeps_old_file_and_no_partial(tmp_path):
    path = tmp_path / 'v.mp4'
    path.write_bytes(b'old')
    with pytest.raises(KeyboardInterrupt):
        with AtomicVideoWriter(str(path), fps=5) as writer:
            writer.write(np.zeros((64, 64, 3), np.uint8))
            raise KeyboardInterrupt
    assert path.read_bytes() == b'old'
    assert [p.name for p in tmp_path.iterdir()] == ['v.mp4']
