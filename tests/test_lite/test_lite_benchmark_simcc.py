"""The lite benchmark's peers: ``export_simcc_onnx.py`` exports RTMPose from
MMPose's config, and ``lite_benchmark.py`` decodes it as MMPose does."""
import importlib.util
import subprocess
import sys

import cv2
import numpy as np
import pytest

RTMPOSE_T = ('mmpose::body_2d_keypoint/rtmpose/coco/'
             'rtmpose-t_8xb256-420e_coco-256x192.py')


@pytest.fixture(scope='module')
def rtmpose_t(repo_root, tmp_path_factory):
    """``(config, checkpoint, onnx)``: RTMPose-t with seeded random weights
    (random initialisation: timing only), exported by the tool."""
    import torch
    from mmpose.apis import init_model

    from levitpose.deploy import resolve_config
    torch.manual_seed(0)
    config = resolve_config(RTMPOSE_T)
    work = tmp_path_factory.mktemp('rtmpose')
    checkpoint = work / 'rtmpose-t_random.pth'
    model = init_model(config, None, device='cpu')
    torch.save({'state_dict': model.state_dict()}, str(checkpoint))
    onnx_file = work / 'rtmpose-t.onnx'
    result = subprocess.run([
        sys.executable,
        str(repo_root / 'tools/deployment/export_simcc_onnx.py'), RTMPOSE_T,
        str(checkpoint), '--output-file',
        str(onnx_file)
    ],
                            cwd=repo_root,
                            capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stderr
    return config, str(checkpoint), str(onnx_file)


@pytest.fixture(scope='module')
def lite_benchmark(repo_root):
    spec = importlib.util.spec_from_file_location(
        'lite_benchmark', repo_root / 'tools/analysis_tools/lite_benchmark.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_lite_simcc_decoding_matches_mmpose(rtmpose_t, coco_samples,
                                            lite_benchmark):
    from mmpose.apis import inference_topdown, init_model
    config, checkpoint, onnx_file = rtmpose_t
    model = init_model(
        config,
        checkpoint,
        device='cpu',
        cfg_options=dict(model=dict(test_cfg=dict(flip_test=False))))
    pose = lite_benchmark.SimCCPose(onnx_file, 'onnxruntime', 1)
    assert pose.input_size == (192, 256) and pose.ratio == 2.0
    for image_path, boxes, _ in coco_samples:
        keypoints, scores = pose(cv2.imread(str(image_path)), boxes)
        samples = inference_topdown(model, str(image_path), boxes)
        expected = np.concatenate(
            [s.pred_instances.keypoints for s in samples])
        expected_scores = np.concatenate(
            [s.pred_instances.keypoint_scores for s in samples])
        assert np.abs(keypoints - expected).max() <= 0.5
        # SimCC logits are large (about 8): a relative tolerance
        np.testing.assert_allclose(scores, expected_scores, rtol=1e-4)


def test_lite_runtime_refuses_the_simcc_export(rtmpose_t):
    from levitpose_lite import TopDownPoseONNX
    with pytest.raises(ValueError, match="'simcc' model"):
        TopDownPoseONNX(rtmpose_t[2])


def test_heatmap_config_is_refused(repo_root, tmp_path):
    config = (
        repo_root / 'configs/body_2d_keypoint/topdown_heatmap/coco/'
        'td-hm_levitpose-t_8xb64-210e_coco-256x256.py')
    result = subprocess.run([
        sys.executable,
        str(repo_root / 'tools/deployment/export_simcc_onnx.py'),
        str(config), '--output-file',
        str(tmp_path / 'x.onnx')
    ],
                            capture_output=True,
                            text=True)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        'error: expected a config whose codec is SimCCLabel, got MSRAHeatmap'
    ]
