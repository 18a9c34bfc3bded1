"""ValidatedCocoDataset / ValidatedMpiiDataset: malformed annotation files
are reported with the file, the annotation id and the problem when the
dataset is built, i.e. before training starts."""
import copy
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import mmpose
import pytest
from mmengine.registry import init_default_scope
from mmpose.registry import DATASETS

from levitpose.datasets import AnnotationError

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO / '..' / 'shared' / 'data' / 'mmpose' / 'tests' / 'data'
TINY_CONFIG = REPO / 'tests' / 'data' / 'reliability' / 'tiny_topdown_coco.py'
MIM_TRAIN = Path(mmpose.__file__).parent / '.mim' / 'tools' / 'train.py'


@pytest.fixture(scope='module')
def coco_json():
    return json.loads((SHARED / 'coco' / 'test_coco.json').read_text())


@pytest.fixture(scope='module')
def mpii_json():
    return json.loads((SHARED / 'mpii' / 'test_mpii.json').read_text())


def build(kind: str, root: Path, ann: str = 'ann.json'):
    init_default_scope('mmpose')
    cfg = dict(
        type=f'Validated{kind}Dataset',
        data_root=str(root),
        ann_file=ann,
        data_prefix=dict(img=str(SHARED / kind.lower()) + '/'))
    if kind == 'Coco':
        cfg['data_mode'] = 'topdown'
    return DATASETS.build(cfg)


def write(tmp_path: Path, data) -> Path:
    (tmp_path / 'ann.json').write_text(json.dumps(data))
    return tmp_path / 'ann.json'


def test_real_coco_sample_builds(tmp_path, coco_json):
    write(tmp_path, coco_json)
    assert len(build('Coco', tmp_path)) == 12  # instances with keypoints


def test_real_mpii_sample_builds(tmp_path, mpii_json):
    write(tmp_path, mpii_json)
    assert len(build('Mpii', tmp_path)) == 5


def corrupt_coco(data, what):
    data = copy.deepcopy(data)
    ann = [a for a in data['annotations'] if a['num_keypoints'] > 0][3]
    if what == 'missing_key':
        del ann['keypoints']
    elif what == 'wrong_length':
        ann['keypoints'] = ann['keypoints'][:-3]
    elif what == 'zero_width':
        ann['bbox'][2] = 0
    elif what == 'negative_height':
        ann['bbox'][3] = -5.0
    elif what == 'bad_visibility':
        ann['keypoints'][2] = 7
    elif what == 'dangling_image':
        ann['image_id'] = 123456789
    elif what == 'missing_image':
        data['images'][0]['file_name'] = 'no_such_image.jpg'
        return data, f'image id {data["images"][0]["id"]}'
    return data, f'annotation id {ann["id"]}'


COCO_PROBLEMS = {
    'missing_key': "missing key(s) ['keypoints']",
    'wrong_length': '"keypoints" must be 51 numbers',
    'zero_width': 'non-positive width or height',
    'negative_height': 'non-positive width or height',
    'bad_visibility': 'visibility flags',
    'dangling_image': 'image_id 123456789 is not in "images"',
    'missing_image': 'no_such_image.jpg does not exist',
}


@pytest.mark.parametrize('what', list(COCO_PROBLEMS))
def test_coco_problem_reported_with_file_id_and_problem(
        tmp_path, coco_json, what):
    data, where = corrupt_coco(coco_json, what)
    ann_file = write(tmp_path, data)
    with pytest.raises(AnnotationError) as info:
        build('Coco', tmp_path)
    message = str(info.value)
    assert message.startswith(str(ann_file))
    assert f'{where}: ' in message
    assert COCO_PROBLEMS[what] in message


def test_coco_missing_top_level_key(tmp_path, coco_json):
    write(tmp_path, {'images': coco_json['images']})
    with pytest.raises(AnnotationError, match='"annotations"'):
        build('Coco', tmp_path)


def test_not_json_is_reported(tmp_path):
    (tmp_path / 'ann.json').write_text('{"images": [')
    with pytest.raises(AnnotationError, match='not valid JSON'):
        build('Coco', tmp_path)


def test_all_problems_are_counted(tmp_path, coco_json):
    data = copy.deepcopy(coco_json)
    for ann in data['annotations']:
        ann['bbox'][2] = 0
    write(tmp_path, data)
    with pytest.raises(AnnotationError, match=r'14 annotation problem\(s\)'):
        build('Coco', tmp_path)


def corrupt_mpii(data, what):
    data = copy.deepcopy(data)
    ann = data[2]
    if what == 'missing_key':
        del ann['center']
    elif what == 'wrong_length':
        ann['joints'] = ann['joints'][:15]
    elif what == 'zero_scale':
        ann['scale'] = 0
    elif what == 'missing_image':
        ann['image'] = '999999999.jpg'
    elif what == 'bad_image_name':
        ann['image'] = 'person.jpg'
    return data


MPII_PROBLEMS = {
    'missing_key': "missing key(s) ['center']",
    'wrong_length': '"joints" must be 16 [x, y] pairs, got 15',
    'zero_scale': '"scale" (box size / 200) must be positive',
    'missing_image': '999999999.jpg does not exist',
    'bad_image_name': 'numeric stem',
}


@pytest.mark.parametrize('what', list(MPII_PROBLEMS))
def test_mpii_problem_reported_with_file_id_and_problem(
        tmp_path, mpii_json, what):
    ann_file = write(tmp_path, corrupt_mpii(mpii_json, what))
    with pytest.raises(AnnotationError) as info:
        build('Mpii', tmp_path)
    message = str(info.value)
    assert message.startswith(str(ann_file))
    assert 'annotation id 2: ' in message
    assert MPII_PROBLEMS[what] in message


def test_plain_coco_dataset_silently_drops_it(tmp_path, coco_json):
    """Why validation is needed: MMPose skips the instance without a word."""
    data, _ = corrupt_coco(coco_json, 'missing_key')
    write(tmp_path, data)
    init_default_scope('mmpose')
    dataset = DATASETS.build(
        dict(
            type='CocoDataset',
            data_root=str(tmp_path),
            ann_file='ann.json',
            data_mode='topdown',
            data_prefix=dict(img=str(SHARED / 'coco') + '/')))
    assert len(dataset) == 11


@pytest.mark.slow
def test_mim_train_fails_before_first_iteration(tmp_path, coco_json):
    """Through ``mim train`` (MMPose's tools/train.py) with the config's
    datasets switched to ValidatedCocoDataset."""
    data_root = tmp_path / 'data'
    data_root.mkdir()
    for image in (SHARED / 'coco').glob('*.jpg'):
        shutil.copy(image, data_root)
    data, _ = corrupt_coco(coco_json, 'wrong_length')
    (data_root / 'test_coco.json').write_text(json.dumps(data))
    options = [
        f'{loader}.dataset.{key}={value}'
        for loader in ('train_dataloader', 'val_dataloader')
        for key, value in (('type', 'ValidatedCocoDataset'), ('data_root',
                                                              f'{data_root}/'))
    ]
    proc = subprocess.run([
        sys.executable,
        str(MIM_TRAIN),
        str(TINY_CONFIG), '--work-dir',
        str(tmp_path / 'work'), '--cfg-options', *options
    ],
                          cwd=REPO,
                          env=dict(os.environ, OMP_NUM_THREADS='1'),
                          capture_output=True,
                          text=True,
                          timeout=300)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 1
    # One `error:` line, no traceback: the configs' checkpoint hook makes
    # MMPose's own tools report a LEViTPoseError as our tools do.
    assert 'Traceback' not in proc.stderr, proc.stderr[-3000:]
    errors = [ln for ln in proc.stderr.splitlines() if ln.startswith('error')]
    assert len(errors) == 1, proc.stderr[-3000:]
    assert f'{data_root}/test_coco.json: 1 annotation problem(s)' in errors[0]
    assert 'Epoch(train)' not in log
