"""COCO test-dev / MPII test datasets (no keypoints) and the MPII test
predictions file: what they accept, what they refuse in one line."""
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from mmpose.registry import DATASETS, METRICS
from scipy.io import loadmat

from levitpose.datasets import AnnotationError

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / 'data' / 'sample-coco'
MPII = REPO / '..' / 'shared' / 'data' / 'mmpose' / 'tests' / 'data' / 'mpii'
DETECTIONS = str(SAMPLE / 'person_detection_results' /
                 'sample_detections_AP_H_56_person.json')


def build_test_set(ann, content, dataset_type, data_root, img_prefix,
                   **kwargs):
    """A test-mode ``dataset_type`` over ``content`` written to ``ann``."""
    ann.write_text(json.dumps(content))
    return DATASETS.build(
        dict(
            type=dataset_type,
            data_root=str(data_root),
            ann_file=str(ann),
            data_prefix=dict(img=img_prefix),
            test_mode=True,
            pipeline=[],
            **kwargs))


def coco_test(tmp_path, images, **kwargs):
    return build_test_set(tmp_path / 'image_info.json',
                          dict(images=images,
                               categories=[]), 'ValidatedCocoTestDataset',
                          SAMPLE, 'images/', **kwargs)


@pytest.fixture(scope='module')
def sample_images():
    return json.loads((SAMPLE / 'annotations' /
                       'person_keypoints_sample.json').read_text())['images']


def test_coco_test_set_reads_an_image_list(tmp_path, sample_images):
    dataset = coco_test(tmp_path, sample_images, bbox_file=DETECTIONS)
    assert len(dataset) > 0
    assert dataset[0]['keypoints_visible'].shape == (1, 17)


def test_coco_test_set_needs_detections(tmp_path, sample_images):
    with pytest.raises(AnnotationError, match='set bbox_file'):
        coco_test(tmp_path, sample_images)


def test_coco_test_set_refuses_a_missing_image(tmp_path, sample_images):
    images = [dict(sample_images[0], file_name='nowhere.jpg')
              ] + sample_images[1:]
    with pytest.raises(AnnotationError, match='nowhere.jpg') as err:
        coco_test(tmp_path, images, bbox_file=DETECTIONS)
    assert '\n' not in str(err.value)


def test_coco_test_set_refuses_detections_of_other_images(
        tmp_path, sample_images):
    with pytest.raises(AnnotationError, match='not in the image list') as err:
        coco_test(tmp_path, sample_images[:1], bbox_file=DETECTIONS)
    assert DETECTIONS in str(err.value) and '\n' not in str(err.value)


def mpii_test(tmp_path, entries, **kwargs):
    return build_test_set(tmp_path / 'mpii_test.json', entries,
                          'ValidatedMpiiTestDataset', MPII, '', **kwargs)


@pytest.fixture(scope='module')
def mpii_entries():
    people = json.loads((MPII / 'test_mpii.json').read_text())
    return [{k: p[k] for k in ('image', 'center', 'scale')} for p in people]


def test_mpii_test_set_boxes_match_mmpose(tmp_path, mpii_entries):
    """Same boxes as MMPose's MpiiDataset gives the full annotations."""
    ours = mpii_test(tmp_path, mpii_entries)
    mmpose = DATASETS.build(
        dict(
            type='MpiiDataset',
            data_root=str(MPII),
            ann_file='test_mpii.json',
            data_prefix=dict(img=''),
            test_mode=True,
            pipeline=[]))
    assert len(ours) == len(mmpose) == len(mpii_entries)
    for i in range(len(ours)):
        np.testing.assert_allclose(ours[i]['bbox'], mmpose[i]['bbox'])
        assert ours[i]['id'] == mmpose[i]['id']


def test_mpii_test_set_refuses_a_bad_entry(tmp_path, mpii_entries):
    entries = [dict(mpii_entries[0], scale=-1.)]
    with pytest.raises(AnnotationError, match='scale') as err:
        mpii_test(tmp_path, entries)
    assert '\n' not in str(err.value)


def test_mpii_test_set_has_no_head_boxes(tmp_path, mpii_entries):
    with pytest.raises(AnnotationError, match='no head boxes'):
        mpii_test(tmp_path, mpii_entries, headbox_file=str(tmp_path / 'h.mat'))


def test_mpii_predictions_are_one_based_in_annotation_order(tmp_path):
    metric = METRICS.build(
        dict(
            type='MpiiTestPredictions',
            outfile_prefix=str(tmp_path / 'out' / 'pred')))
    kpts = {i: torch.rand(1, 16, 2).numpy() * 100 for i in (2, 0, 1)}
    metric.process([], [
        dict(id=i, pred_instances=dict(keypoints=k)) for i, k in kpts.items()
    ])
    assert metric.compute_metrics(metric.results) == {}
    preds = loadmat(str(tmp_path / 'out' / 'pred.mat'))['preds']
    expected = np.concatenate([kpts[i] for i in (0, 1, 2)]) + 1
    np.testing.assert_allclose(preds, expected)


def test_mpii_predictions_need_a_path():
    with pytest.raises(ValueError, match='outfile_prefix'):
        METRICS.build(dict(type='MpiiTestPredictions', outfile_prefix=''))
