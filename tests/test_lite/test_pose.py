"""``TopDownPoseONNX``: parity with MMPose's pipeline for heatmap and SimCC
models (RTMPose exported by ``export_simcc_onnx.py``; the decoder picked by
the model's metadata), one batched session call, clear errors, and a
torch-free import."""
import subprocess
import sys

import cv2
import numpy as np
import pytest

from levitpose_lite import TopDownPoseONNX

HEAVY_MODULES = ('torch', 'mmcv', 'mmengine', 'mmpose', 'mmdet')
RTMPOSE_T = ('mmpose::body_2d_keypoint/rtmpose/coco/'
             'rtmpose-t_8xb256-420e_coco-256x192.py')


def test_import_leaves_torch_and_mm_packages_unloaded():
    code = ('import sys, levitpose_lite\n'
            'from levitpose_lite import TopDownPoseONNX\n'
            f'heavy = [m for m in sys.modules if m.split(".")[0] in '
            f'{HEAVY_MODULES!r}]\n'
            'print(",".join(heavy))\n')
    result = subprocess.run([sys.executable, '-c', code],
                            capture_output=True,
                            text=True,
                            check=True)
    assert result.stdout.strip() == ''


@pytest.mark.parametrize(
    'model, decoder, input_size, score_tol',
    [
        ('levitpose_t_coco', 'heatmap', (256, 256), dict(atol=1e-4)),
        # SimCC logits are large (about 8): a relative tolerance
        pytest.param(
            'rtmpose_t',
            'simcc', (192, 256),
            dict(rtol=1e-4),
            marks=pytest.mark.slow),
    ])
def test_keypoints_match_mmpose_pipeline(request, coco_samples, model, decoder,
                                         input_size, score_tol):
    from mmpose.apis import inference_topdown, init_model
    config, checkpoint, onnx_path = request.getfixturevalue(model)
    model = init_model(
        config,
        checkpoint,
        device='cpu',
        cfg_options=dict(model=dict(test_cfg=dict(flip_test=False))))
    lite = TopDownPoseONNX(onnx_path, input_size=input_size)
    assert lite.decoder == decoder
    for image_path, boxes, _ in coco_samples:
        image = cv2.imread(str(image_path))
        keypoints, scores = lite(image, boxes)
        samples = inference_topdown(model, str(image_path), boxes)
        expected = np.concatenate(
            [s.pred_instances.keypoints for s in samples])
        expected_scores = np.concatenate(
            [s.pred_instances.keypoint_scores for s in samples])
        assert keypoints.shape == expected.shape
        assert np.abs(keypoints - expected).max() <= 0.5
        np.testing.assert_allclose(scores, expected_scores, **score_tol)


def test_one_batched_session_run(coco_samples, levitpose_t_coco):
    lite = TopDownPoseONNX(levitpose_t_coco[2])
    calls = []
    lite.session = _Recorder(lite.session, calls)
    image_path, boxes, _ = max(coco_samples, key=lambda s: len(s[1]))
    keypoints, scores = lite(cv2.imread(str(image_path)), boxes)
    assert len(boxes) > 1 and calls == [len(boxes)]
    assert keypoints.shape == (len(boxes), 17, 2)
    assert scores.shape == (len(boxes), 17)


class _Recorder:
    """Forwards to a backend session, recording each run's batch size."""

    def __init__(self, session, calls):
        self._session, self._calls = session, calls

    def run(self, batch):
        self._calls.append(batch.shape[0])
        return self._session.run(batch)

    def __getattr__(self, name):
        return getattr(self._session, name)


def test_max_batch_size_splits_session_calls(coco_samples, levitpose_t_coco):
    image_path, boxes, _ = max(coco_samples, key=lambda s: len(s[1]))
    image = cv2.imread(str(image_path))
    whole = TopDownPoseONNX(levitpose_t_coco[2])(image, boxes)
    lite = TopDownPoseONNX(levitpose_t_coco[2], max_batch_size=2)
    calls = []
    lite.session = _Recorder(lite.session, calls)
    split = lite(image, boxes)
    assert calls == [2] * (len(boxes) // 2) + [1] * (len(boxes) % 2)
    np.testing.assert_allclose(split[0], whole[0], atol=1e-4)


def test_bad_max_batch_size_raises(levitpose_t_coco):
    with pytest.raises(ValueError, match='max_batch_size.*0'):
        TopDownPoseONNX(levitpose_t_coco[2], max_batch_size=0)


def test_no_boxes_give_empty_results(levitpose_t_coco):
    lite = TopDownPoseONNX(levitpose_t_coco[2])
    keypoints, scores = lite(np.zeros((64, 64, 3), np.uint8), np.zeros((0, 4)))
    assert keypoints.shape == (0, 17, 2) and scores.shape == (0, 17)


def test_boxes_with_scores_are_accepted(coco_samples, levitpose_t_coco):
    lite = TopDownPoseONNX(levitpose_t_coco[2])
    image_path, boxes, _ = coco_samples[0]
    image = cv2.imread(str(image_path))
    with_scores = np.hstack([boxes, np.ones((len(boxes), 1), np.float32)])
    np.testing.assert_array_equal(
        lite(image, with_scores)[0],
        lite(image, boxes)[0])


def test_bad_box_shape_raises(levitpose_t_coco):
    lite = TopDownPoseONNX(levitpose_t_coco[2])
    with pytest.raises(ValueError, match=r'\(N, 4\) or \(N, 5\)'):
        lite(np.zeros((64, 64, 3), np.uint8), np.zeros((2, 3)))


def test_grey_image_raises(levitpose_t_coco):
    lite = TopDownPoseONNX(levitpose_t_coco[2])
    with pytest.raises(ValueError, match=r'\(H, W, 3\)'):
        lite(np.zeros((64, 64), np.uint8), np.zeros((1, 4)))


def test_missing_onnx_path_raises(tmp_path):
    missing = tmp_path / 'missing.onnx'
    with pytest.raises(FileNotFoundError, match='missing.onnx'):
        TopDownPoseONNX(str(missing))


@pytest.mark.parametrize('content', [b'not an onnx model', b'xx'])
def test_corrupt_onnx_file_raises(tmp_path, content):
    bad = tmp_path / 'bad.onnx'
    bad.write_bytes(content)
    with pytest.raises(ValueError, match='cannot load ONNX model'):
        TopDownPoseONNX(str(bad))


def test_wrong_input_size_raises(levitpose_t_coco):
    with pytest.raises(ValueError, match=r'\(192, 256\).*\(256, 256\)'):
        TopDownPoseONNX(levitpose_t_coco[2], input_size=(192, 256))


def test_unknown_device_raises(levitpose_t_coco):
    with pytest.raises(ValueError, match="'cpu', 'cuda'.*'tpu'"):
        TopDownPoseONNX(levitpose_t_coco[2], device='tpu')


def test_missing_onnxruntime_gives_install_hint(monkeypatch, levitpose_t_coco):
    monkeypatch.setitem(sys.modules, 'onnxruntime', None)
    with pytest.raises(ImportError, match='pip install onnxruntime'):
        TopDownPoseONNX(levitpose_t_coco[2])


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


def test_simcc_model_metadata_picks_the_decoder(rtmpose_t, coco_samples):
    pose = TopDownPoseONNX(rtmpose_t[2], max_batch_size=1)
    image_path, boxes, _ = max(coco_samples, key=lambda s: len(s[1]))
    keypoints, scores = pose(cv2.imread(str(image_path)), boxes)
    assert pose.decoder == 'simcc'
    assert keypoints.shape == (len(boxes), 17, 2)
    assert scores.shape == (len(boxes), 17)
