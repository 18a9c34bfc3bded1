"""``decode_heatmaps`` equals ``MSRAHeatmap.decode`` on real heatmaps."""
import cv2
import numpy as np
import pytest
from mmpose.codecs import MSRAHeatmap

from levitpose_lite import (bbox_xyxy_to_cs, decode_heatmaps, decode_simcc,
                            fix_aspect_ratio, get_warp_matrix,
                            keypoints_to_image)

INPUT_SIZE, HEATMAP_SIZE = (192, 256), (48, 64)


def _encoded_real_keypoints(coco_samples):
    """Heatmaps made by MSRAHeatmap.encode from the real COCO keypoints,
    moved into each person's crop, and the crop centers/scales."""
    codec = MSRAHeatmap(INPUT_SIZE, HEATMAP_SIZE, sigma=2)
    heatmaps, centers, scales, keypoints = [], [], [], []
    for _, boxes, kpts in coco_samples:
        center, scale = bbox_xyxy_to_cs(boxes)
        scale = fix_aspect_ratio(scale, INPUT_SIZE[0] / INPUT_SIZE[1])
        for c, s, k in zip(center, scale, kpts):
            warp = get_warp_matrix(c, s, INPUT_SIZE)
            in_crop = cv2.transform(k[None, :, :2], warp)
            encoded = codec.encode(in_crop, (k[None, :, 2] > 0) * 1.)
            heatmaps.append(encoded['heatmaps'])
            centers.append(c), scales.append(s), keypoints.append(k)
    return (codec, np.stack(heatmaps), np.stack(centers), np.stack(scales),
            np.stack(keypoints))


def test_decode_matches_msra_heatmap_on_encoded_keypoints(coco_samples):
    codec, heatmaps, _, _, _ = _encoded_real_keypoints(coco_samples)
    keypoints, scores = decode_heatmaps(heatmaps, INPUT_SIZE)
    for i, heatmap in enumerate(heatmaps):
        expected_kpts, expected_scores = codec.decode(heatmap)
        np.testing.assert_allclose(keypoints[i], expected_kpts[0], atol=1e-5)
        np.testing.assert_allclose(scores[i], expected_scores[0], atol=1e-6)


def test_decoded_keypoints_map_back_to_the_annotations(coco_samples):
    _, heatmaps, centers, scales, gt = _encoded_real_keypoints(coco_samples)
    keypoints, _ = decode_heatmaps(heatmaps, INPUT_SIZE)
    in_image = keypoints_to_image(keypoints, centers, scales, INPUT_SIZE)
    visible = gt[..., 2] > 0
    # one heatmap pixel is 4 input pixels; quarter-pixel refinement
    pixel = scales[:, None, 0] / HEATMAP_SIZE[0]
    error = np.linalg.norm(in_image - gt[..., :2], axis=-1)
    assert np.all(
        error[visible] <= np.broadcast_to(pixel, error.shape)[visible])


def test_decode_matches_msra_heatmap_on_model_output(coco_samples,
                                                     levitpose_t_coco):
    import onnxruntime as ort

    from levitpose_lite import crop_boxes
    _, _, onnx_path = levitpose_t_coco
    image_path, boxes, _ = coco_samples[0]
    batch, _, _ = crop_boxes(cv2.imread(str(image_path)), boxes, (256, 256))
    session = ort.InferenceSession(onnx_path)
    heatmaps = session.run(None, {'input': batch})[0]
    codec = MSRAHeatmap((256, 256), (64, 64), sigma=2)
    keypoints, scores = decode_heatmaps(heatmaps, (256, 256))
    for i, heatmap in enumerate(heatmaps):
        expected_kpts, expected_scores = codec.decode(heatmap)
        np.testing.assert_allclose(keypoints[i], expected_kpts[0], atol=1e-5)
        np.testing.assert_allclose(scores[i], expected_scores[0], atol=1e-6)


def test_decode_rejects_3d_heatmaps():
    with pytest.raises(ValueError, match='N, K, H, W'):
        decode_heatmaps(np.zeros((17, 64, 48), np.float32), INPUT_SIZE)


def test_decode_simcc_matches_simcc_label_on_encoded_keypoints(coco_samples):
    from mmpose.codecs import SimCCLabel
    codec = SimCCLabel(INPUT_SIZE, sigma=(4.9, 5.66), simcc_split_ratio=2.0)
    keypoints = np.concatenate([kpts for _, _, kpts in coco_samples])
    # real visibility, locations anywhere in the crop
    in_crop = np.random.default_rng(0).uniform(0, INPUT_SIZE,
                                               (len(keypoints), 17, 2))
    encoded = codec.encode(in_crop, (keypoints[..., 2] > 0) * 1.)
    simcc_x = encoded['keypoint_x_labels']  # (N, K, Wx)
    simcc_y = encoded['keypoint_y_labels']
    joined = np.concatenate([simcc_x, simcc_y], -1)[:, :, None]
    locs, scores = decode_simcc(joined, simcc_x.shape[-1], 2.0)
    expected, expected_scores = codec.decode(simcc_x, simcc_y)
    np.testing.assert_allclose(locs, expected, atol=1e-5)
    np.testing.assert_allclose(scores, expected_scores, atol=1e-6)


def test_decode_simcc_rejects_an_unsplittable_output():
    with pytest.raises(ValueError, match=r'\(N, K, 1, Wx \+ Wy\)'):
        decode_simcc(np.zeros((1, 17, 1, 100)), 100, 2.0)
