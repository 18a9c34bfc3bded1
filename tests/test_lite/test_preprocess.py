"""The lite crops equal MMPose's ``GetBBoxCenterScale`` + ``TopdownAffine``
on real COCO images and boxes."""
import cv2
import numpy as np
import pytest
from mmpose.datasets.transforms import GetBBoxCenterScale, TopdownAffine

from levitpose_lite import crop_boxes, fix_aspect_ratio
from levitpose_lite.preprocess import check_boxes


@pytest.mark.parametrize('input_size', [(192, 256), (256, 256)])
def test_crops_match_mmpose_topdown_affine(coco_samples, input_size):
    for image_path, boxes, _ in coco_samples:
        image = cv2.imread(str(image_path))
        batch, centers, scales = crop_boxes(
            image,
            boxes,
            input_size,
            mean=(0., 0., 0.),
            std=(1., 1., 1.),
            bgr_to_rgb=False)
        for i, box in enumerate(boxes):
            results = GetBBoxCenterScale()(dict(img=image, bbox=box[None]))
            results = TopdownAffine(input_size)(results)
            expected = results['img'].astype(np.float32).transpose(2, 0, 1)
            # bilinear sampling of a matrix equal up to float32 rounding
            assert np.abs(batch[i] - expected).mean() < 0.05
            np.testing.assert_allclose(
                centers[i], results['input_center'], atol=1e-3)
            np.testing.assert_allclose(
                scales[i], results['input_scale'], atol=1e-3)


def test_normalisation_swaps_channels_then_standardises(coco_samples):
    image_path, boxes, _ = coco_samples[0]
    image = cv2.imread(str(image_path))
    raw, _, _ = crop_boxes(
        image,
        boxes[:1], (192, 256),
        mean=(0., 0., 0.),
        std=(1., 1., 1.),
        bgr_to_rgb=False)
    mean, std = (10., 20., 30.), (2., 4., 8.)
    normed, _, _ = crop_boxes(
        image, boxes[:1], (192, 256), mean=mean, std=std, bgr_to_rgb=True)
    expected = (raw[0, ::-1] -
                np.array(mean)[:, None, None]) / np.array(std)[:, None, None]
    np.testing.assert_allclose(normed[0], expected, rtol=1e-6, atol=1e-5)


def test_fix_aspect_ratio_only_grows_boxes():
    scales = np.array([[100., 100.], [300., 100.], [10., 400.]], np.float32)
    fixed = fix_aspect_ratio(scales, aspect_ratio=0.75)
    np.testing.assert_allclose(fixed[:, 0] / fixed[:, 1], 0.75, rtol=1e-6)
    assert np.all(fixed >= scales - 1e-4)


@pytest.mark.parametrize('box, why', [
    ((10., 10., 10., 50.), 'zero or negative size'),
    ((10., 10., 50., 10.), 'zero or negative size'),
    ((50., 10., 10., 60.), 'zero or negative size'),
    ((np.nan, 10., 50., 60.), 'NaN or infinite'),
    ((10., 10., np.inf, 60.), 'NaN or infinite'),
])
def test_degenerate_box_is_refused_by_name(box, why):
    boxes = np.array([(0., 0., 20., 40.), box], np.float32)
    image = np.zeros((64, 64, 3), np.uint8)
    with pytest.raises(ValueError) as info:
        crop_boxes(image, boxes, (192, 256))
    message = str(info.value)
    assert why in message
    assert str(tuple(float(v) for v in np.float32(box))) in message


def test_good_boxes_pass_the_check_unchanged():
    boxes = np.array([(0., 0., 20., 40.), (5., 5., 6., 6.)], np.float32)
    np.testing.assert_array_equal(check_boxes(boxes), boxes)
