"""Property-based tests (Hypothesis) of the codec and the top-down crop.

* ``MSRAHeatmap`` encode -> decode returns every visible, in-bounds
  keypoint within its quantisation: half a heatmap pixel, i.e.
  ``0.5 * input_size / heatmap_size`` input pixels per axis.
* ``get_warp_matrix`` and its ``inv=True`` twin are inverse maps, and the
  ``TopdownAffine`` crop followed by the estimator's back-projection
  (``kpt / input_size * bbox_scale + bbox_center - bbox_scale / 2``)
  returns the original keypoints.
"""
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from mmpose.codecs import MSRAHeatmap
from mmpose.datasets.transforms import TopdownAffine
from mmpose.structures.bbox import get_warp_matrix

SETTINGS = settings(max_examples=60, deadline=2000)


@st.composite
def codec_and_keypoints(draw):
    heatmap_w = draw(st.integers(8, 64))
    heatmap_h = draw(st.integers(8, 64))
    factor = draw(st.sampled_from([1, 2, 4]))
    sigma = draw(st.sampled_from([1, 2, 3]))
    codec = MSRAHeatmap(
        input_size=(heatmap_w * factor, heatmap_h * factor),
        heatmap_size=(heatmap_w, heatmap_h),
        sigma=sigma)
    num = draw(st.integers(1, 17))
    # keep the rounded heatmap peak inside the heatmap
    limit = np.array([heatmap_w, heatmap_h]) * factor - factor / 2 - 1e-3
    unit = st.floats(0, 1, allow_nan=False)
    coords = np.array(
        draw(st.lists(st.tuples(unit, unit), min_size=num, max_size=num)),
        dtype=np.float32)
    keypoints = (coords * limit)[None].astype(np.float32)
    visible = np.array(
        draw(st.lists(st.sampled_from([0., 1.]), min_size=num, max_size=num)),
        dtype=np.float32)[None]
    return codec, keypoints, visible, factor


@SETTINGS
@given(codec_and_keypoints())
def test_msra_heatmap_round_trip_within_quantisation(case):
    codec, keypoints, visible, factor = case
    encoded = codec.encode(keypoints, visible)
    decoded, scores = codec.decode(encoded['heatmaps'])
    shown = encoded['keypoint_weights'][0] > 0
    np.testing.assert_array_equal(shown, visible[0] > 0)
    error = np.abs(decoded[0] - keypoints[0])[shown]
    assert (error <= 0.5 * factor + 1e-4).all(), error.max()
    np.testing.assert_allclose(scores[0][shown], 1.0)


@SETTINGS
@given(codec_and_keypoints())
def test_invisible_keypoints_leave_empty_heatmaps(case):
    codec, keypoints, visible, _ = case
    encoded = codec.encode(keypoints, visible)
    hidden = visible[0] == 0
    assert not encoded['heatmaps'][hidden].any()
    assert not encoded['keypoint_weights'][0][hidden].any()


coordinate = st.floats(-2000, 2000, allow_nan=False)
size = st.floats(4, 2000, allow_nan=False)


@SETTINGS
@given(
    center=st.tuples(coordinate, coordinate),
    scale=st.tuples(size, size),
    rot=st.floats(-180, 180, allow_nan=False),
    out=st.tuples(st.integers(8, 512), st.integers(8, 512)),
    points=st.lists(st.tuples(coordinate, coordinate), min_size=1, max_size=8))
def test_warp_matrix_and_inverse_compose_to_identity(center, scale, rot, out,
                                                     points):
    center, scale = np.array(center), np.array(scale)
    forward = get_warp_matrix(center, scale, rot, out)
    backward = get_warp_matrix(center, scale, rot, out, inv=True)
    pts = np.array(points, dtype=np.float64)
    cropped = pts @ forward[:, :2].T + forward[:, 2]
    restored = cropped @ backward[:, :2].T + backward[:, 2]
    # float32 corner points in cv2: tolerance relative to the box size
    tol = 1e-3 * max(scale.max(), np.abs(pts).max(), np.abs(center).max())
    np.testing.assert_allclose(restored, pts, atol=tol)
    centre_out = center @ forward[:, :2].T + forward[:, 2]
    np.testing.assert_allclose(centre_out, np.array(out) / 2, atol=tol)


@SETTINGS
@given(
    center=st.tuples(st.floats(0, 640), st.floats(0, 480)),
    box=st.tuples(st.floats(8, 600), st.floats(8, 600)),
    out=st.sampled_from([(192, 256), (256, 256), (288, 384)]),
    unit_points=st.lists(
        st.tuples(st.floats(-0.5, 0.5), st.floats(-0.5, 0.5)),
        min_size=1,
        max_size=17))
def test_topdown_affine_then_back_projection_restores_keypoints(
        center, box, out, unit_points):
    box = np.array(box, dtype=np.float32)
    keypoints = (np.array(center) + np.array(unit_points) * box)[None]
    results = dict(
        img=np.zeros((480, 640, 3), np.uint8),
        bbox_center=np.array([center], dtype=np.float32),
        bbox_scale=box[None].copy(),
        bbox_rotation=np.zeros(1, dtype=np.float32),
        keypoints=keypoints.astype(np.float32),
        keypoints_visible=np.ones(keypoints.shape[:2], np.float32))
    results = TopdownAffine(input_size=out)(results)
    scale = results['bbox_scale'][0]  # aspect ratio fixed to the input's
    restored = (
        results['transformed_keypoints'][0] / np.array(out) * scale +
        results['bbox_center'][0] - 0.5 * scale)
    tol = 1e-3 * max(scale.max(), 640)
    np.testing.assert_allclose(restored, keypoints[0], atol=tol)
