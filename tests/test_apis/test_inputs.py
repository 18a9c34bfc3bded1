"""levitpose.apis.open_input: images, folders, videos; bad ones refused."""
import shutil
from pathlib import Path

import pytest

from levitpose.apis import InvalidInputError, MissingFileError, open_input
from levitpose.apis.inputs import iter_video_frames

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
    assert len(list(iter_video_frames(video))) == 5


def test_missing_path_is_refused(tmp_path):
    with pytest.raises(MissingFileError, match='does not exist'):
        open_input(str(tmp_path / 'nope.jpg'))


def test_non_media_file_is_refused(tmp_path):
    path = tmp_path / 'notes.txt'
    path.write_text('hello')
    with pytest.raises(InvalidInputError, match='neither an image'):
        open_input(str(path))


def test_corrupt_image_is_refused(tmp_path):
    path = tmp_path / 'broken.jpg'
    path.write_bytes(b'not a jpeg at all')
    with pytest.raises(InvalidInputError, match='not a valid image'):
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


def test_folder_with_fake_image_is_refused(tmp_path, coco_dir):
    shutil.copy(coco_dir / COCO_NAMES[0], tmp_path)
    (tmp_path / 'fake.png').write_text('text, not a png')
    with pytest.raises(InvalidInputError, match='fake.png'):
        open_input(str(tmp_path))
