"""``levitpose_lite.quantize``: settings per CPU, calibration crops made by
the runtime, and an int8 model (``shipped_int8``, quantised once per run)
whose heatmap maxima stay with fp32's."""
import json

import cv2
import numpy as np
import onnx
import pytest

from levitpose_lite import TopDownPoseONNX
from levitpose_lite.quantize import (argmax_agreement, calibration_crops,
                                     int8_settings, load_calibration_boxes,
                                     nodes_in_scope)

SAMPLE = 'data/sample-coco/'
ANN_FILE = SAMPLE + 'annotations/person_keypoints_sample.json'
DET_FILE = SAMPLE + 'person_detection_results/' \
    'sample_detections_AP_H_56_person.json'
#: Least share of keypoints whose int8 heatmap maximum stays within one
#: heatmap pixel of fp32's, on crops not used for calibration (the shipped
#: checkpoint: 0.954 measured).
MIN_AGREEMENT = 0.9


def test_no_vnni_reduces_the_range():
    settings = int8_settings(flags={'avx2', 'fma'}, machine='x86_64')
    assert settings.reduce_range
    assert (settings.activation_type, settings.weight_type) == ('uint8',
                                                                'int8')
    assert 'no VNNI' in settings.describe()


@pytest.mark.parametrize('flag', ['avx512_vnni', 'avx_vnni'])
def test_vnni_keeps_the_full_range(flag):
    settings = int8_settings(flags={'avx2', flag}, machine='x86_64')
    assert not settings.reduce_range
    assert flag in settings.reason


def test_arm_uses_symmetric_activations():
    settings = int8_settings(flags=set(), machine='aarch64')
    assert settings.activation_type == 'int8' and not settings.reduce_range


def test_forced_reduce_range_is_reported():
    settings = int8_settings(
        flags={'avx512_vnni'}, machine='x86_64', reduce_range=True)
    assert settings.reduce_range and 'forced' in settings.reason


def test_bad_format_names_the_choices():
    with pytest.raises(ValueError, match="'QDQ', 'QOperator'.*'QX'"):
        int8_settings(quant_format='QX')


def test_boxes_from_annotations_leave_crowds_out(repo_root):
    boxes = load_calibration_boxes(str(repo_root / ANN_FILE))
    assert sum(len(b) for b in boxes.values()) == 14  # no crowd in the file
    b = boxes['000000000785.jpg']
    assert b.shape == (1, 4) and (b[:, 2:] > b[:, :2]).all()


def test_boxes_from_detections_keep_confident_ones(repo_root):
    boxes = load_calibration_boxes(str(repo_root / DET_FILE), score_thr=0.3)
    low = load_calibration_boxes(str(repo_root / DET_FILE), score_thr=0.)
    assert set(boxes) == {'785', '40083', '196141', '197388'}
    assert sum(map(len, boxes.values())) < sum(map(len, low.values())) == 118


def test_bad_box_file_raises(tmp_path):
    path = tmp_path / 'boxes.json'
    path.write_text('{"images": []}')
    with pytest.raises(ValueError, match='neither COCO annotations'):
        load_calibration_boxes(str(path))


@pytest.mark.parametrize('entry', [{
    'bbox': [1, 2, 3, 4]
}, {
    'image_id': 1,
    'bbox': [1, 2, 3]
}])
def test_bad_detection_entry_raises(tmp_path, entry):
    path = tmp_path / 'dets.json'
    path.write_text(json.dumps([entry]))
    with pytest.raises(ValueError, match='without a valid image_id, bbox'):
        load_calibration_boxes(str(path))


def test_crops_are_the_runtime_crops(repo_root, levitpose_t_coco):
    pose = TopDownPoseONNX(levitpose_t_coco[2])
    boxes = load_calibration_boxes(str(repo_root / ANN_FILE))
    crops = calibration_crops(pose, str(repo_root / SAMPLE / 'images'), boxes)
    assert len(crops) == 14 and crops[0].shape == (1, 3, 256, 256)
    image = cv2.imread(str(repo_root / SAMPLE / 'images/000000000785.jpg'))
    expected = pose.preprocess(image, boxes['000000000785.jpg'])[0]
    np.testing.assert_array_equal(crops[0], expected)


def test_max_crops_and_empty_folder(repo_root, levitpose_t_coco, tmp_path):
    pose = TopDownPoseONNX(levitpose_t_coco[2])
    crops = calibration_crops(
        pose, str(repo_root / SAMPLE / 'images'), max_crops=2)
    assert len(crops) == 2  # whole images, the first two
    with pytest.raises(ValueError, match='no image'):
        calibration_crops(pose, str(tmp_path))


def test_int8_heatmaps_keep_their_maxima(repo_root, shipped_onnx,
                                         shipped_int8):
    """Calibrated on the detector's boxes; compared on the annotated ones."""
    fp32 = TopDownPoseONNX(shipped_onnx)
    held_out = np.concatenate(
        calibration_crops(fp32, str(repo_root / SAMPLE / 'images'),
                          load_calibration_boxes(str(repo_root / ANN_FILE))))
    int8 = TopDownPoseONNX(shipped_int8)
    reference = fp32.session.run(held_out)[0]
    quantised = int8.session.run(held_out)[0]
    assert not np.array_equal(reference, quantised)  # it is quantised
    assert argmax_agreement(reference, quantised) >= MIN_AGREEMENT


def test_scopes_pick_dense_convolutions_or_every_product(shipped_onnx):
    model = onnx.load(shipped_onnx)
    groups = {
        n.name: next((a.i for a in n.attribute if a.name == 'group'), 1)
        for n in model.graph.node if n.op_type == 'Conv'
    }
    dense = nodes_in_scope(model, 'dense-conv')
    every = nodes_in_scope(model, 'conv-matmul')
    assert dense and all(groups.get(name) == 1 for name in dense)
    assert set(dense) == {n for n, g in groups.items() if g == 1}
    ops = {n.name: n.op_type for n in model.graph.node}
    assert set(dense) < set(every)
    assert {ops[n] for n in every} == {'Conv', 'MatMul'}
    with pytest.raises(ValueError, match='scope must be one of'):
        nodes_in_scope(model, 'all')


def test_dense_conv_scope_leaves_other_layers_float(shipped_int8):
    model = onnx.load(shipped_int8)
    graph = model.graph
    weights = {i.name for i in graph.initializer}
    int8_weights = {
        n.output[0]
        for n in graph.node
        if n.op_type == 'DequantizeLinear' and n.input[0] in weights
    }
    fed = [n for n in graph.node if any(i in int8_weights for i in n.input)]
    assert fed and all(n.op_type == 'Conv' for n in fed)
    assert all(
        next((a.i for a in n.attribute if a.name == 'group'), 1) == 1
        for n in fed)
    meta = {p.key: p.value for p in model.metadata_props}
    assert json.loads(meta['precision'])['scope'] == 'dense-conv'


def test_agreement_counts_moved_maxima():
    a = np.zeros((1, 2, 8, 8), np.float32)
    a[0, 0, 2, 2] = a[0, 1, 5, 5] = 1.
    b = a.copy()
    b[0, 1, 5, 5], b[0, 1, 1, 1] = 0., 1.
    assert argmax_agreement(a, a) == 1.
    assert argmax_agreement(a, b) == 0.5
