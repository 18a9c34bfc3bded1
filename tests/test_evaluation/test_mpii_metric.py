"""MPII PCKh through MMPose's ``MpiiPCKAccuracy`` on real MPII data.

``detections_our_format.mat`` (``../shared/data/pytorch-pose``) holds the
standard 2958-person MPII validation ground truth and Tompson et al.'s
predictions, in MATLAB's 1-based pixels. ``test_mpii.json`` holds the first
5 of those people in MMPose's format.
"""
import json
from pathlib import Path

import numpy as np
import pytest
from mmpose.datasets import MpiiDataset
from mmpose.evaluation import MpiiPCKAccuracy
from scipy.io import loadmat

SC_BIAS = 0.6  # the official head-size factor: 0.6 x head-box diagonal
THRESHOLD = 0.5  # PCKh@0.5
# joint order of the .mat (dataset_joints) and of MMPose's MPII
JOINTS = ('rank', 'rkne', 'rhip', 'lhip', 'lkne', 'lank', 'pelv', 'thor',
          'neck', 'head', 'rwri', 'relb', 'rsho', 'lsho', 'lelb', 'lwri')
# the standard report: each limb averages its left and right joint; the
# mean leaves out pelvis and thorax (as in pytorch-pose and HRNet)
GROUPS = {
    'Head PCK': ('head', ),
    'Shoulder PCK': ('lsho', 'rsho'),
    'Elbow PCK': ('lelb', 'relb'),
    'Wrist PCK': ('lwri', 'rwri'),
    'Hip PCK': ('lhip', 'rhip'),
    'Knee PCK': ('lkne', 'rkne'),
    'Ankle PCK': ('lank', 'rank'),
}
EXCLUDED_FROM_MEAN = ('pelv', 'thor')


@pytest.fixture(scope='module')
def mpii_val(shared_data: Path) -> dict:
    """Ground truth and predictions as arrays of shape (N, 16, ...)."""
    mat = loadmat(shared_data / 'pytorch-pose' / 'evaluation' / 'data' /
                  'detections_our_format.mat')
    names = tuple(str(name[0]) for name in mat['dataset_joints'][0])
    assert names == JOINTS
    return dict(
        gt=mat['pos_gt_src'].transpose(2, 0, 1),  # (N, 16, 2), 1-based
        pred=mat['pos_pred_src'].transpose(2, 0, 1),  # (N, 16, 2), 1-based
        visible=1 - mat['jnt_missing'].T,  # (N, 16)
        headboxes=mat['headboxes_src'].transpose(2, 0, 1))  # (N, 2, 2)


def official_pckh(pred: np.ndarray, gt: np.ndarray, visible: np.ndarray,
                  headboxes: np.ndarray) -> dict:
    """PCKh@0.5 as the MPII evaluation defines it, written from scratch.

    A joint is correct when its distance to the ground truth is at most
    0.5 x head size, the head size being 0.6 x the head box diagonal; only
    labelled joints count. Returns per-joint values, the groups and the
    mean over all labelled joints except pelvis and thorax, in percent.
    """
    head_size = SC_BIAS * np.sqrt(
        ((headboxes[:, 1] - headboxes[:, 0])**2).sum(axis=1))
    distance = np.sqrt(((pred - gt)**2).sum(axis=2))  # (N, 16)
    labelled = visible.astype(bool)
    correct = (distance <= THRESHOLD * head_size[:, None]) & labelled
    per_joint = {
        name: 100.0 * correct[:, j].sum() / labelled[:, j].sum()
        for j, name in enumerate(JOINTS)
    }
    report = {
        group: float(np.mean([per_joint[name] for name in names]))
        for group, names in GROUPS.items()
    }
    kept = [
        j for j, name in enumerate(JOINTS) if name not in EXCLUDED_FROM_MEAN
    ]
    report['PCK'] = 100.0 * correct[:, kept].sum() / labelled[:, kept].sum()
    return dict(per_joint=per_joint, report=report)


def _samples(pred0: np.ndarray, gt: np.ndarray, visible: np.ndarray,
             head_size: np.ndarray) -> list:
    """Data samples as MMPose's MPII pipeline and model produce them.

    ``pred0`` is in 0-based pixels (what a model outputs); ground truth
    keeps MPII's 1-based pixels, as :class:`MpiiDataset` loads it.
    """
    return [
        dict(
            pred_instances=dict(keypoints=pred0[i][None]),
            gt_instances=dict(
                keypoints=gt[i][None],
                keypoints_visible=visible[i][None],
                head_size=np.array([head_size[i]]))) for i in range(len(gt))
    ]


def _mmpose_pckh(samples: list) -> MpiiPCKAccuracy:
    metric = MpiiPCKAccuracy(thr=THRESHOLD, norm_item='head')
    metric.process([], samples)
    return metric


def test_ground_truth_as_predictions_gives_pckh_100(shared_data):
    mpii = shared_data / 'mmpose' / 'tests' / 'data' / 'mpii'
    dataset = MpiiDataset(
        ann_file=str(mpii / 'test_mpii.json'),
        data_root=str(mpii),
        headbox_file=str(shared_data / 'pytorch-pose' / 'evaluation' / 'data' /
                         'detections_our_format.mat'),
        test_mode=True,
        pipeline=[])
    assert len(dataset) == 5
    infos = [dataset.get_data_info(i) for i in range(len(dataset))]
    gt = np.concatenate([info['keypoints'] for info in infos])
    visible = np.concatenate([info['keypoints_visible'] for info in infos])
    head_size = np.concatenate([info['head_size'] for info in infos])[:, 0]
    metric = _mmpose_pckh(_samples(gt - 1, gt, visible, head_size))
    stats = metric.compute_metrics(metric.results)
    assert stats['PCK'] == 100.0
    assert all(value == 100.0 for key, value in stats.items() if key in GROUPS)


def test_tompson_predictions_match_official_protocol(mpii_val):
    head_size = SC_BIAS * np.linalg.norm(
        mpii_val['headboxes'][:, 1] - mpii_val['headboxes'][:, 0], axis=1)
    samples = _samples(mpii_val['pred'] - 1, mpii_val['gt'],
                       mpii_val['visible'], head_size)
    assert len(samples) == 2958
    metric = _mmpose_pckh(samples)
    stats = metric.compute_metrics(metric.results)
    expected = official_pckh(mpii_val['pred'], mpii_val['gt'],
                             mpii_val['visible'], mpii_val['headboxes'])
    for key, value in expected['report'].items():
        assert stats[key] == pytest.approx(value, abs=1e-4), key
    assert 80.0 < expected['report']['PCK'] < 85.0  # Tompson et al. '15


def test_tompson_per_joint_pckh_matches_official_protocol(mpii_val):
    from mmpose.evaluation.functional import keypoint_pck_accuracy
    head_size = SC_BIAS * np.linalg.norm(
        mpii_val['headboxes'][:, 1] - mpii_val['headboxes'][:, 0], axis=1)
    metric = _mmpose_pckh(
        _samples(mpii_val['pred'] - 1, mpii_val['gt'], mpii_val['visible'],
                 head_size))
    # what MpiiPCKAccuracy computes per joint before grouping
    results = metric.results
    pred = np.concatenate([r['pred_coords'] for r in results]) + 1.0
    gt = np.concatenate([r['gt_coords'] for r in results])
    mask = np.concatenate([r['mask'] for r in results])
    norm = np.concatenate([r['head_size'] for r in results])
    per_joint, _, _ = keypoint_pck_accuracy(pred, gt, mask, THRESHOLD, norm)
    expected = official_pckh(mpii_val['pred'], mpii_val['gt'],
                             mpii_val['visible'], mpii_val['headboxes'])
    for j, name in enumerate(JOINTS):
        assert 100.0 * per_joint[j] == pytest.approx(
            expected['per_joint'][name], abs=1e-4), name


def test_test_mpii_json_is_the_start_of_the_val_split(shared_data, mpii_val):
    """The 5 MMPose-format people are the first 5 of the .mat (1-based)."""
    anns = json.loads((shared_data / 'mmpose' / 'tests' / 'data' / 'mpii' /
                       'test_mpii.json').read_text())
    joints = np.array([ann['joints'] for ann in anns])
    visible = np.array([ann['joints_vis'] for ann in anns]).astype(bool)
    np.testing.assert_allclose(
        joints[visible], mpii_val['gt'][:5][visible], atol=1e-4)
