"""Lite person detectors: an ONNX export of an MMDetection RTMDet matches
MMDetection's own predictions; the HOG fallback finds (part of) a person."""
import cv2
import numpy as np
import pytest
from tiny_detector import export_tiny_rtmdet

from levitpose_lite.detectors import (HOGFallbackPersonDetector,
                                      ONNXPersonDetector, letterbox)

SKIER = 'demo/resources/coco_000000000785.jpg'


@pytest.fixture(scope='module')
def tiny_rtmdet(tmp_path_factory):
    """(MMDetection model, ONNX path) of the same random tiny RTMDet."""
    path = str(tmp_path_factory.mktemp('det') / 'tiny_rtmdet.onnx')
    return export_tiny_rtmdet(path), path


def test_onnx_detector_matches_mmdetection(repo_root, tiny_rtmdet):
    from mmdet.apis import inference_detector
    from mmengine.registry import DefaultScope
    model, onnx_path = tiny_rtmdet
    image = cv2.imread(str(repo_root / SKIER))
    # MMDetection's API builds its pipeline in the default scope, which
    # init_detector set to mmdet; tests run in mmpose's (conftest.py).
    with DefaultScope.overwrite_default_scope('mmdet'):
        expected = inference_detector(model, image).pred_instances
    nms_thr = model.cfg.model.test_cfg.nms.iou_threshold
    boxes, scores = ONNXPersonDetector(
        onnx_path, bbox_thr=0., nms_thr=nms_thr)(
            image)
    assert boxes.dtype == np.float32 and boxes.shape[1] == 4
    assert np.all(np.diff(scores) <= 0)  # highest score first
    assert len(expected.scores) > 0
    # every box MMDetection keeps is kept here, with its score
    for box, score in zip(expected.bboxes.numpy(), expected.scores.numpy()):
        close = (np.abs(boxes - box).max(axis=1) < 0.5) & (
            np.abs(scores - score) < 1e-4)
        assert close.any(), (box, score)


def test_onnx_detector_applies_score_threshold_and_class(
        repo_root, tiny_rtmdet):
    image = cv2.imread(str(repo_root / SKIER))
    all_boxes, all_scores = ONNXPersonDetector(
        tiny_rtmdet[1], bbox_thr=0.)(
            image)
    threshold = float(np.median(all_scores))
    _, scores = ONNXPersonDetector(tiny_rtmdet[1], bbox_thr=threshold)(image)
    assert len(scores) and scores.min() > threshold
    boxes, _ = ONNXPersonDetector(tiny_rtmdet[1], cat_id=1)(image)
    assert boxes.shape == (0, 4)  # the model has one class: 0


def test_letterbox_keeps_aspect_ratio_and_pads_with_114():
    image = np.full((100, 200, 3), 7, np.uint8)
    padded, scale = letterbox(image, (320, 320))
    assert padded.shape == (320, 320, 3)
    np.testing.assert_allclose(scale, [1.6, 1.6])
    assert (padded[:160] == 7).all() and (padded[160:] == 114).all()


def test_missing_detector_file_raises(tmp_path):
    with pytest.raises(FileNotFoundError, match='not found'):
        ONNXPersonDetector(str(tmp_path / 'none.onnx'))


def test_a_model_with_one_output_is_not_a_detector(tmp_path):
    import onnx
    from onnx import TensorProto, helper
    graph = helper.make_graph(
        [helper.make_node('Relu', ['input'], ['heatmaps'])], 'not_a_detector',
        [
            helper.make_tensor_value_info('input', TensorProto.FLOAT,
                                          [1, 3, 64, 64])
        ], [
            helper.make_tensor_value_info('heatmaps', TensorProto.FLOAT,
                                          [1, 3, 64, 64])
        ])
    path = tmp_path / 'one_output.onnx'
    onnx.save(helper.make_model(graph), str(path))
    with pytest.raises(ValueError, match='expected outputs dets'):
        ONNXPersonDetector(str(path))


def test_hog_fallback_is_named_and_finds_the_skier_upper_body(repo_root):
    image = cv2.imread(str(repo_root / SKIER))
    fallback = HOGFallbackPersonDetector()
    assert fallback.is_fallback and 'fallback' in fallback.name
    boxes, scores = fallback(image)
    assert boxes.dtype == np.float32 and np.all(np.diff(scores) <= 0)
    # what issue 15 reports: the upper body (321, 13)-(427, 225) and more
    assert len(boxes) >= 2
    np.testing.assert_allclose(boxes[0], [321, 13, 427, 225], atol=2)
