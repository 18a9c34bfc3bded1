"""levitpose_lite.video: a video without a decodable frame is refused in one
line; frames are read in order, with their frame rate."""
import cv2
import numpy as np
import pytest

from levitpose_lite.errors import InvalidInputError, MissingFileError
from levitpose_lite.video import open_video, read_frames, video_frames

VIDEO = 'demo/resources/crowdpose_103319_pan.mp4'


@pytest.fixture(scope='module')
def clip(tmp_path_factory):
    """Five frames of 64x48 whose pixels are the frame index times 40."""
    path = tmp_path_factory.mktemp('video') / 'clip.avi'
    writer = cv2.VideoWriter(
        str(path), cv2.VideoWriter_fourcc(*'MJPG'), 10, (64, 48))
    for i in range(5):
        writer.write(np.full((48, 64, 3), 40 * i, np.uint8))
    writer.release()
    return str(path)


def test_open_video_describes_it(clip):
    info = open_video(clip)
    assert info.frame_size == (64, 48)
    assert info.fps == pytest.approx(10)
    assert info.num_frames == 5


def test_frames_come_in_order(clip):
    frames = list(video_frames(clip, open_video(clip).num_frames))
    means = [frame.mean() for frame in frames]
    assert len(frames) == 5
    assert means == pytest.approx([0, 40, 80, 120, 160], abs=3)


def test_read_frames_keeps_the_first(clip):
    frames, fps = read_frames(clip, max_frames=2)
    assert len(frames) == 2 and fps == pytest.approx(10)


def test_bundled_pan_is_readable(repo_root):
    frames, fps = read_frames(str(repo_root / VIDEO), max_frames=3)
    assert [f.shape for f in frames] == [(360, 480, 3)] * 3
    assert fps == pytest.approx(15)


def test_missing_video_is_refused(tmp_path):
    with pytest.raises(MissingFileError, match='does not exist'):
        open_video(str(tmp_path / 'none.mp4'))


def test_folder_is_refused(tmp_path):
    with pytest.raises(InvalidInputError, match='is a folder, not a file'):
        open_video(str(tmp_path))


def test_undecodable_video_is_refused_in_one_line(tmp_path):
    path = tmp_path / 'junk.mp4'
    path.write_bytes(b'\x00' * 4096)
    with pytest.raises(InvalidInputError) as info:
        read_frames(str(path))
    assert str(info.value).startswith(f'cannot read video {path}: OpenCV')
    assert '\n' not in str(info.value)
