"""levitpose.demo_app.inputs: images, folders, videos; a path that cannot
be an input is refused, an unreadable item of a good one is reported."""
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

from levitpose.demo_app import iter_frames, open_input
from levitpose.utils import InvalidInputError, MissingFileError

COCO_NAMES = [
    '000000000785.jpg', '000000040083.jpg', '000000196141.jpg',
    '000000197388.jpg'
]


@pytest.fixture(scope='module')
def coco_dir(shared_data):
    return shared_data / 'mmpose' / 'tests' / 'data' / 'coco'


@pytest.fixture(scope='module')
def video(shared_data):
    return str(shared_data / 'mmpose' / 'demo' / 'resources' / 'demo.mp4')


def test_image_is_classified(coco_dir):
    source = open_input(str(coco_dir / COCO_NAMES[0]))
    assert (source.kind, source.images) == ('image',
                                            [str(coco_dir / COCO_NAMES[0])])


def test_folder_lists_only_images_sorted(coco_dir):
    source = open_input(str(coco_dir))  # also holds two .json files
    assert source.kind == 'folder'
    assert [Path(p).name for p in source.images] == COCO_NAMES


def test_video_reports_its_frames(video):
    source = open_input(video)
    assert (source.kind, source.num_frames, source.frame_size,
            source.fps) == ('video', 5, (960, 540), 5.)


def test_video_frames_are_all_read(video):
    frames = list(iter_frames(open_input(video)))
    assert [f.index for f in frames] == [0, 1, 2, 3, 4]
    assert all(f.error is None and f.image.shape == (540, 960, 3)
               for f in frames)


def test_missing_path_is_refused(tmp_path):
    with pytest.raises(MissingFileError, match='does not exist'):
        open_input(str(tmp_path / 'nope.jpg'))


@pytest.mark.parametrize('name, content, match', [
    ('notes.txt', b'hello', 'neither an image'),
    ('broken.jpg', b'not a jpeg at all', 'not a valid image'),
])
def test_file_that_is_not_media_is_refused(tmp_path, name, content, match):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InvalidInputError, match=match):
        open_input(str(path))


def test_corrupt_video_is_refused(tmp_path):
    path = tmp_path / 'broken.mp4'
    path.write_bytes(b'\x00' * 4096)
    with pytest.raises(InvalidInputError, match='cannot read video'):
        open_input(str(path))


def test_empty_folder_is_refused(tmp_path):
    (tmp_path / 'readme.txt').write_text('no images here')
    with pytest.raises(InvalidInputError, match='has no images'):
        open_input(str(tmp_path))


def test_fake_image_in_a_folder_is_reported_not_fatal(tmp_path, coco_dir):
    shutil.copy(coco_dir / COCO_NAMES[0], tmp_path)
    shutil.copy(coco_dir / COCO_NAMES[1], tmp_path)
    (tmp_path / '000000000786.png').write_text('text, not a png')
    frames = list(iter_frames(open_input(str(tmp_path))))
    assert [Path(f.name).name for f in frames
            ] == [COCO_NAMES[0], '000000000786.png', COCO_NAMES[1]]
    assert [f.image is None for f in frames] == [False, True, False]
    assert 'not a valid image' in str(frames[1].error)


def _mjpeg_video(path: Path, frames: int = 8) -> bytes:
    """A small MJPEG AVI of noise frames (each a few KB); returns its bytes.
    """
    rng = np.random.default_rng(0)
    writer = cv2.VideoWriter(
        str(path), cv2.VideoWriter_fourcc(*'MJPG'), 10, (64, 48))
    for _ in range(frames):
        writer.write(rng.integers(0, 255, (48, 64, 3), dtype=np.uint8))
    writer.release()
    return path.read_bytes()


def test_undecodable_video_frame_is_reported_and_the_rest_read(tmp_path):
    path = tmp_path / 'clip.avi'
    data = bytearray(_mjpeg_video(path))
    jpeg_starts = [
        i for i in range(len(data) - 1) if data[i:i + 2] == b'\xff\xd8'
    ]
    start = jpeg_starts[3]  # zero the headers of frame 3's JPEG
    data[start:start + 1000] = bytes(1000)
    path.write_bytes(bytes(data))
    frames = list(iter_frames(open_input(str(path))))
    assert [f.index for f in frames
            if f.error is None] == [0, 1, 2, 4, 5, 6, 7]
    bad = [f for f in frames if f.error is not None]
    assert len(bad) == 1 and bad[0].index == 3
    assert 'frame 3 of video' in str(bad[0].error)


def test_truncated_video_reports_its_missing_frames(tmp_path):
    path = tmp_path / 'clip.avi'
    data = _mjpeg_video(path)
    path.write_bytes(data[:len(data) * 7 // 10])
    frames = list(iter_frames(open_input(str(path))))
    good = [f.index for f in frames if f.error is None]
    bad = [f for f in frames if f.error is not None]
    assert good == list(range(len(good))) and 0 < len(good) < 8
    assert len(bad) == 1
    assert f'frames {len(good)}-7 of video' in str(bad[0].error)
