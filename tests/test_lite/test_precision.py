"""``precision``: OpenVINO computes an fp32 model's float layers in bfloat16
on request, on a CPU that has bfloat16 instructions; every other request is
one clear line."""
import cv2
import numpy as np
import pytest

from levitpose_lite import TopDownPoseONNX, create_session
from levitpose_lite.backends import PRECISIONS

openvino = pytest.importorskip('openvino')

#: bf16 keeps 8 significant bits: heatmap maxima stay where fp32 puts them
#: on the shipped checkpoint, so keypoints move by less than one heatmap
#: pixel plus the quarter-pixel step (4 + 1 input px at stride 4);
#: measured: median 0.0 px, max 3.4 px over the 204 keypoints of the
#: bundled people, scores within 0.013.
BF16_MEDIAN_TOL_PX = 0.5
BF16_MAX_TOL_PX = 5.
BF16_SCORE_TOL = 0.02
#: Largest heatmap change over the largest heatmap value, on a random
#: input (weak heatmaps: the relative change is largest there); measured:
#: 0.065 (bf16 rounds each layer's inputs to 8 significant bits).
BF16_HEATMAP_REL_TOL = 0.1


def _has_bf16() -> bool:
    return 'BF16' in openvino.Core().get_property('CPU',
                                                  'OPTIMIZATION_CAPABILITIES')


def _keypoints(model, coco_samples, **kwargs):
    pose = TopDownPoseONNX(model, num_threads=1, **kwargs)
    results = [
        pose(cv2.imread(str(path)), boxes) for path, boxes, _ in coco_samples
    ]
    return (np.concatenate([r[0] for r in results]),
            np.concatenate([r[1] for r in results]))


@pytest.mark.skipif(not _has_bf16(), reason='this CPU has no bfloat16')
def test_bf16_keeps_the_keypoints_of_fp32(shipped_onnx, coco_samples):
    kpts32, scores32 = _keypoints(
        shipped_onnx, coco_samples, backend='openvino')
    kpts16, scores16 = _keypoints(
        shipped_onnx, coco_samples, backend='openvino', precision='bf16')
    dist = np.linalg.norm(kpts16 - kpts32, axis=-1)
    print(f'bf16 vs fp32: median {np.median(dist):.2f} px, max '
          f'{dist.max():.2f} px over {dist.size} keypoints; scores max '
          f'{np.abs(scores16 - scores32).max():.4f}')
    assert np.median(dist) <= BF16_MEDIAN_TOL_PX
    assert dist.max() <= BF16_MAX_TOL_PX
    np.testing.assert_allclose(scores16, scores32, atol=BF16_SCORE_TOL)


@pytest.mark.skipif(not _has_bf16(), reason='this CPU has no bfloat16')
def test_bf16_really_computes_in_bfloat16(shipped_onnx):
    """The outputs differ from fp32 (the hint is not ignored), by about
    bfloat16's rounding."""
    batch = np.random.default_rng(0).random((1, 3, 256, 256), np.float32)
    fp32 = create_session(shipped_onnx, 'openvino', num_threads=1)
    bf16 = create_session(
        shipped_onnx, 'openvino', num_threads=1, precision='bf16')
    assert (fp32.precision, bf16.precision) == ('fp32', 'bf16')
    out32, out16 = fp32.run(batch)[0], bf16.run(batch)[0]
    diff = np.abs(out16 - out32).max()
    assert 0 < diff <= BF16_HEATMAP_REL_TOL * np.abs(out32).max()


def test_precisions_are_fp32_and_bf16():
    assert list(PRECISIONS) == ['fp32', 'bf16']


@pytest.mark.parametrize('backend, precision, allowed', [
    ('onnxruntime', 'bf16', "['fp32']"),
    ('openvino', 'fp16', "['fp32', 'bf16']"),
    ('openvino', None, "['fp32', 'bf16']"),
])
def test_bad_precision_is_one_line(shipped_onnx, backend, precision, allowed):
    with pytest.raises(ValueError) as err:
        create_session(shipped_onnx, backend, precision=precision)
    message = str(err.value)
    assert '\n' not in message
    assert message == (f'precision must be one of {allowed} for backend '
                       f'"{backend}", got {precision!r}')


def test_bf16_on_a_cpu_without_it_is_refused(shipped_onnx, monkeypatch):
    real = openvino.Core.get_property

    def without_bf16(core, device, name):
        value = real(core, device, name)
        if name == 'OPTIMIZATION_CAPABILITIES':
            return [v for v in value if v != 'BF16']
        return value

    monkeypatch.setattr(openvino.Core, 'get_property', without_bf16)
    with pytest.raises(ValueError, match='needs a CPU with bfloat16'):
        create_session(shipped_onnx, 'openvino', precision='bf16')
