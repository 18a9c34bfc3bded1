"""The test-set configs (COCO test-dev, MPII test) write the files the
evaluation servers take, without ground truth: run here in format-only
mode on real samples (the bundled COCO images; MMPose's MPII test images
in ../shared/data)."""
import json
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config
from scipy.io import loadmat

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / 'tests' / 'test_tools'))
from tool_runner import python_tool  # noqa: E402

TOPDOWN = REPO / 'configs' / 'body_2d_keypoint' / 'topdown_heatmap'
COCO_TEST_DEV = {
    v:
    TOPDOWN / 'coco' / f'td-hm_levitpose-{v}_8xb64-210e_coco-test-dev-'
    '256x256.py'
    for v in 'ts'
}
MPII_TEST = {
    v: TOPDOWN / 'mpii' / f'td-hm_levitpose-{v}_8xb64-210e_mpii-test-'
    '256x256.py'
    for v in 'ts'
}
SAMPLE = REPO / 'data' / 'sample-coco'
QUICKSTART_CKPT = REPO / 'checkpoints' / 'levitpose-t_sample-coco-256x256.pth'
FAST_LOADER = [
    'test_dataloader.num_workers=0',
    'test_dataloader.persistent_workers=False', 'test_dataloader.batch_size=8'
]


@pytest.mark.parametrize('variant', 'ts')
def test_coco_test_dev_config_writes_results_only(variant):
    cfg = Config.fromfile(str(COCO_TEST_DEV[variant]))
    dataset, metric = cfg.test_dataloader.dataset, cfg.test_evaluator
    assert dataset.ann_file == 'annotations/image_info_test-dev2017.json'
    assert dataset.bbox_file.endswith(
        'COCO_test-dev2017_detections_AP_H_609_person.json')
    assert dataset.data_prefix == dict(img='test2017/')
    assert metric.type == 'CocoMetric' and metric.format_only
    assert f'levitpose-{variant}_coco-test-dev' in metric.outfile_prefix
    assert cfg.model.backbone.arch == {'t': 'tiny', 's': 'small'}[variant]
    # the validation set is unchanged
    assert cfg.val_evaluator.get('format_only', False) is False


@pytest.mark.parametrize('variant', 'ts')
def test_mpii_test_config_writes_predictions_only(variant):
    cfg = Config.fromfile(str(MPII_TEST[variant]))
    dataset = cfg.test_dataloader.dataset
    assert dataset.type == 'ValidatedMpiiTestDataset'
    assert dataset.ann_file == 'annotations/mpii_test.json'
    assert dataset.headbox_file is None
    assert cfg.test_evaluator == dict(
        type='MpiiTestPredictions',
        outfile_prefix=f'work_dirs/levitpose-{variant}_mpii-test/pred')
    assert cfg.model.backbone.arch == {'t': 'tiny', 's': 'small'}[variant]


def test_coco_test_dev_format_only_on_the_samples(tmp_path):
    """Test-dev as the server sees it: an image list (no keypoints) and
    person detections in; MMPose's keypoint results JSON out."""
    annotations = json.loads(
        (SAMPLE / 'annotations' / 'person_keypoints_sample.json').read_text())
    image_info = {k: v for k, v in annotations.items() if k != 'annotations'}
    info_file = tmp_path / 'image_info_sample.json'
    info_file.write_text(json.dumps(image_info))
    detections = SAMPLE / 'person_detection_results' / \
        'sample_detections_AP_H_56_person.json'
    prefix = tmp_path / 'results'
    proc = python_tool('tools/test.py', str(COCO_TEST_DEV['t']),
                       str(QUICKSTART_CKPT), '--work-dir',
                       str(tmp_path / 'work'), '--cfg-options',
                       f'test_dataloader.dataset.data_root={SAMPLE}/',
                       f'test_dataloader.dataset.ann_file={info_file}',
                       f'test_dataloader.dataset.bbox_file={detections}',
                       'test_dataloader.dataset.data_prefix.img=images/',
                       f'test_evaluator.ann_file={info_file}',
                       f'test_evaluator.outfile_prefix={prefix}', *FAST_LOADER)
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = json.loads((tmp_path / 'results.keypoints.json').read_text())
    image_ids = {img['id'] for img in image_info['images']}
    detected = {d['image_id'] for d in json.loads(detections.read_text())}
    assert results and {r['image_id'] for r in results} == detected
    assert detected <= image_ids
    for result in results:
        assert result['category_id'] == 1
        assert len(result['keypoints']) == 17 * 3
        assert np.isfinite(result['score'])


def test_mpii_test_format_only_on_real_images(tmp_path, shared_data):
    """MPII's test annotations hold image, center and scale only; the
    predictions come out one-based, in annotation order."""
    mpii = shared_data / 'mmpose' / 'tests' / 'data' / 'mpii'
    people = json.loads((mpii / 'test_mpii.json').read_text())
    test_file = tmp_path / 'mpii_test.json'
    test_file.write_text(
        json.dumps([{
            k: p[k]
            for k in ('image', 'center', 'scale')
        } for p in people]))
    from mmpose.registry import MODELS
    model = MODELS.build(Config.fromfile(str(MPII_TEST['t'])).model)
    checkpoint = tmp_path / 'random.pth'
    torch.save({'state_dict': model.state_dict()}, checkpoint)
    prefix = tmp_path / 'pred'
    proc = python_tool('tools/test.py', str(MPII_TEST['t']), str(checkpoint),
                       '--work-dir', str(tmp_path / 'work'), '--cfg-options',
                       f'test_dataloader.dataset.data_root={mpii}/',
                       f'test_dataloader.dataset.ann_file={test_file}',
                       'test_dataloader.dataset.data_prefix.img=',
                       f'test_evaluator.outfile_prefix={prefix}', *FAST_LOADER)
    assert proc.returncode == 0, proc.stderr[-3000:]
    preds = loadmat(str(tmp_path / 'pred.mat'))['preds']
    assert preds.shape == (len(people), 16, 2)
    # each in its own person's crop, to a heatmap pixel (flip test shifts
    # by one): MPII's center (one-based, moved down by 15 x scale as
    # MpiiDataset does), side 1.25 x 200 x scale over a 64-pixel heatmap
    for pred, person in zip(preds, people):
        center = np.array(person['center']) + [0, 15 * person['scale']]
        side = person['scale'] * 200 * 1.25
        assert np.all(np.abs(pred - center) <= side / 2 + side / 64 + 1)
