"""``levitpose_lite.backends``: ONNX Runtime and OpenVINO serve the same
model (fp32 and int8) with the same metadata and keypoints, and a missing
OpenVINO is one clear line."""
import json
import subprocess
import sys

import cv2
import numpy as np
import pytest

from levitpose_lite import TopDownPoseONNX, create_session, ort_session

#: fp32 in both runtimes: the same arithmetic up to summation order, so
#: keypoints agree to a small fraction of a heatmap pixel (4 input px).
FP32_KEYPOINT_TOL_PX = 0.05
#: int8: each runtime rounds its integer kernels its own way, so where a
#: heatmap has two near-equal peaks they may pick different ones. Most
#: keypoints stay within one heatmap pixel plus the quarter-pixel step
#: (4 + 1 input px at stride 4); measured on the shipped checkpoint: median
#: 0 px, 90th percentile 1.5 px, one keypoint in 119 at 36 px.
INT8_KEYPOINT_TOL_PX = 5.
INT8_MIN_SHARE_WITHIN = 0.9
INT8_MEDIAN_TOL_PX = 1.
SCORE_TOL = 1e-4


def _keypoints(model, backend, coco_samples):
    pose = TopDownPoseONNX(model, backend=backend, num_threads=1)
    results = [
        pose(cv2.imread(str(path)), boxes) for path, boxes, _ in coco_samples
    ]
    return (np.concatenate([r[0] for r in results]),
            np.concatenate([r[1] for r in results]))


def test_both_backends_read_the_same_metadata(levitpose_t_coco):
    ort = create_session(levitpose_t_coco[2], 'onnxruntime')
    ov = create_session(levitpose_t_coco[2], 'openvino')
    assert ort.metadata == ov.metadata
    assert set(ort.metadata) >= {'mean', 'std', 'bgr_to_rgb'}
    assert ort.input_shape == ov.input_shape
    assert ort.input_shape[1:] == (3, 256, 256)
    assert ort.output_shapes == ov.output_shapes


def test_fp32_keypoints_agree_across_backends(levitpose_t_coco, coco_samples):
    kpts_ort, scores_ort = _keypoints(levitpose_t_coco[2], 'onnxruntime',
                                      coco_samples)
    kpts_ov, scores_ov = _keypoints(levitpose_t_coco[2], 'openvino',
                                    coco_samples)
    assert np.abs(kpts_ort - kpts_ov).max() <= FP32_KEYPOINT_TOL_PX
    np.testing.assert_allclose(scores_ov, scores_ort, atol=SCORE_TOL)


def test_int8_keypoints_agree_across_backends(shipped_int8, coco_samples):
    kpts_ort, _ = _keypoints(shipped_int8, 'onnxruntime', coco_samples)
    kpts_ov, _ = _keypoints(shipped_int8, 'openvino', coco_samples)
    dist = np.linalg.norm(kpts_ort - kpts_ov, axis=-1)
    assert np.mean(dist <= INT8_KEYPOINT_TOL_PX) >= INT8_MIN_SHARE_WITHIN
    assert np.median(dist) <= INT8_MEDIAN_TOL_PX


def test_openvino_keeps_fp32_precision(levitpose_t_coco):
    session = create_session(levitpose_t_coco[2], 'openvino')
    hint = session.compiled.get_property('INFERENCE_PRECISION_HINT')
    assert str(hint) == "<Type: 'float32'>"


def test_ort_session_can_stop_spinning(levitpose_t_coco):
    quiet = ort_session(levitpose_t_coco[2], num_threads=1, spinning=False)
    options = quiet.get_session_options()
    assert options.intra_op_num_threads == 1
    assert options.get_session_config_entry(
        'session.intra_op.allow_spinning') == '0'


def test_unknown_backend_names_the_choices(levitpose_t_coco):
    with pytest.raises(ValueError, match="'onnxruntime', 'openvino'.*'trt'"):
        TopDownPoseONNX(levitpose_t_coco[2], backend='trt')


def test_openvino_rejects_cuda(levitpose_t_coco):
    with pytest.raises(ValueError, match=r"\['cpu'\].*openvino.*'cuda'"):
        create_session(levitpose_t_coco[2], 'openvino', device='cuda')


def test_openvino_corrupt_file_raises(tmp_path):
    bad = tmp_path / 'bad.onnx'
    bad.write_bytes(b'not an onnx model')
    with pytest.raises(ValueError, match='cannot load ONNX model'):
        TopDownPoseONNX(str(bad), backend='openvino')


def test_missing_openvino_gives_install_hint(monkeypatch, levitpose_t_coco):
    monkeypatch.setitem(sys.modules, 'openvino', None)
    with pytest.raises(ImportError, match='pip install openvino'):
        TopDownPoseONNX(levitpose_t_coco[2], backend='openvino')
    # ONNX Runtime does not need it
    assert TopDownPoseONNX(levitpose_t_coco[2]).backend == 'onnxruntime'


def test_missing_openvino_is_one_line_in_the_tools(repo_root, coco_samples,
                                                   levitpose_t_coco):
    """The lite benchmark, run as a user would, without OpenVINO."""
    tool = repo_root / 'tools/analysis_tools/lite_benchmark.py'
    code = ('import runpy, sys\n'
            'sys.modules["openvino"] = None\n'
            f'sys.argv = ["lite_benchmark.py", {levitpose_t_coco[2]!r}, '
            f'"--image", {str(coco_samples[0][0])!r}, '
            '"--backend", "openvino"]\n'
            f'runpy.run_path({str(tool)!r}, run_name="__main__")\n')
    result = subprocess.run([sys.executable, '-c', code],
                            capture_output=True,
                            text=True)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        'error: backend="openvino" needs OpenVINO, which is not installed: '
        'pip install openvino'
    ]


def _relabelled(onnx_path, tmp_path, **metadata):
    import onnx
    model = onnx.load(onnx_path)
    for key, value in metadata.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    path = tmp_path / 'relabelled.onnx'
    onnx.save(model, str(path))
    return str(path)


def test_unknown_decoders_are_refused(levitpose_t_coco, tmp_path):
    path = _relabelled(levitpose_t_coco[2], tmp_path, decoder='regression')
    with pytest.raises(
            ValueError,
            match="'regression' model; levitpose_lite "
            'decodes heatmap and simcc models'):
        TopDownPoseONNX(path)


def test_simcc_models_need_their_split(levitpose_t_coco, tmp_path):
    path = _relabelled(levitpose_t_coco[2], tmp_path, decoder='simcc')
    with pytest.raises(
            ValueError, match='SimCC model without a valid '
            'simcc_split'):
        TopDownPoseONNX(path)


def test_int8_file_records_its_settings(shipped_int8):
    meta = create_session(shipped_int8).metadata
    settings = json.loads(meta['precision'])
    assert settings['precision'] == 'int8'
    assert settings['quant_format'] == 'QDQ'
    assert {'mean', 'std', 'bgr_to_rgb'} <= set(meta)


def test_openvino_compiles_each_batch_size_once(levitpose_t_coco):
    session = create_session(levitpose_t_coco[2], 'openvino', num_threads=1)
    x = np.random.default_rng(0).random((2, 3, 256, 256), np.float32)
    static = session.run(x)[0]
    request = session._static[2]
    dynamic = session.request.infer({0: x}).to_tuple()[0]
    np.testing.assert_array_equal(static, dynamic)
    session.run(x)
    assert session._static == {2: request}  # compiled once
    session.max_static_batches = 1
    np.testing.assert_array_equal(session.run(x[:1])[0], static[:1])
    assert list(session._static) == [2]  # batch 1 used the dynamic model
