"""COCO keypoint AP through MMPose's ``CocoMetric`` on real COCO val2017 data.

The samples and reference scores are in ``../shared/data`` (see its
``SOURCES.md``): ``test_coco.json`` (4 images, 14 people) and 73 real
predictions on those images, scored with xtcocotools and pycocotools.
"""
import json
from pathlib import Path
from typing import List

import mmpose
import numpy as np
import pytest
from mmpose.datasets.datasets.utils import parse_pose_metainfo
from mmpose.evaluation import CocoMetric

COCO_META = str(
    Path(mmpose.__file__).parent / '.mim/configs/_base_/datasets/coco.py')

# SOURCES.md: xtcocotools 1.14.3 COCOeval(..., use_area=True) and
# pycocotools 2.0.11 agree on these stats of example_coco_preds.json
REFERENCE_STATS = {
    'coco/AP': 0.8609,
    'coco/AP .5': 0.9931,
    'coco/AP .75': 0.9109,
    'coco/AP (M)': 0.7756,
    'coco/AP (L)': 0.9373,
    'coco/AR': 0.875,
    'coco/AR .5': 1.0,
    'coco/AR .75': 0.9167,
    'coco/AR (M)': 0.78,
    'coco/AR (L)': 0.9429,
}


@pytest.fixture(scope='module')
def coco_dir(shared_data: Path) -> Path:
    return shared_data / 'xtcocoapi' / 'annotations'


def _sample(index: int, image_id: int, keypoints: np.ndarray,
            scores: np.ndarray, bbox_score: float) -> dict:
    """A data sample as the model's ``test_step`` hands it to metrics."""
    return dict(
        id=index,
        img_id=image_id,
        category_id=1,
        pred_instances=dict(
            keypoints=keypoints[None].astype(np.float32),
            keypoint_scores=scores[None].astype(np.float32),
            bbox_scores=np.array([bbox_score], dtype=np.float32)),
        gt_instances=dict())


def _evaluate(metric: CocoMetric, samples: List[dict]) -> dict:
    metric.dataset_meta = parse_pose_metainfo(dict(from_file=COCO_META))
    metric.process([], samples)
    return metric.evaluate(size=len(samples))


def test_ground_truth_as_predictions_gives_ap_1(coco_dir, tmp_path):
    gt = json.loads((coco_dir / 'example_coco_val.json').read_text())
    samples = []
    for ann in gt['annotations']:
        if ann['num_keypoints'] == 0:
            continue  # COCO ignores people without labelled keypoints
        kpts = np.array(ann['keypoints'], dtype=np.float32).reshape(-1, 3)
        samples.append(
            _sample(ann['id'], ann['image_id'], kpts[:, :2],
                    (kpts[:, 2] > 0).astype(np.float32), 1.0))
    assert len(samples) == 12
    metric = CocoMetric(
        ann_file=str(coco_dir / 'example_coco_val.json'),
        outfile_prefix=str(tmp_path / 'gt'))  # default scoring and OKS NMS
    stats = _evaluate(metric, samples)
    assert stats['coco/AP'] == 1.0
    assert stats['coco/AR'] == 1.0


def test_real_predictions_reproduce_reference_stats(coco_dir, tmp_path):
    preds = json.loads((coco_dir / 'example_coco_preds.json').read_text())
    assert len(preds) == 73
    samples = []
    for index, pred in enumerate(preds):
        kpts = np.array(pred['keypoints'], dtype=np.float32).reshape(-1, 3)
        samples.append(
            _sample(index, pred['image_id'], kpts[:, :2], kpts[:, 2],
                    pred['score']))
    # rank by the stored instance score, keep every prediction: the
    # reference scored the json file as it is
    metric = CocoMetric(
        ann_file=str(coco_dir / 'example_coco_val.json'),
        score_mode='bbox',
        nms_mode='none',
        outfile_prefix=str(tmp_path / 'preds'))
    stats = _evaluate(metric, samples)
    rounded = {key: round(float(stats[key]), 4) for key in REFERENCE_STATS}
    assert rounded == REFERENCE_STATS


def test_shuffled_predictions_lower_ap(coco_dir, tmp_path):
    """The parity above is not vacuous: wrong keypoints score lower."""
    preds = json.loads((coco_dir / 'example_coco_preds.json').read_text())
    rng = np.random.default_rng(0)
    samples = []
    for index, pred in enumerate(preds):
        kpts = np.array(pred['keypoints'], dtype=np.float32).reshape(-1, 3)
        samples.append(
            _sample(index, pred['image_id'], rng.permutation(kpts[:, :2]),
                    kpts[:, 2], pred['score']))
    metric = CocoMetric(
        ann_file=str(coco_dir / 'example_coco_val.json'),
        score_mode='bbox',
        nms_mode='none',
        outfile_prefix=str(tmp_path / 'shuffled'))
    assert _evaluate(metric, samples)['coco/AP'] < 0.5
