"""``TopDownPoseONNX`` on degenerate boxes: a ``ValueError`` naming the
box, never a ``ZeroDivisionError`` or non-finite keypoints."""
import numpy as np
import pytest

from levitpose_lite import TopDownPoseONNX


@pytest.fixture(scope='module')
def pose(levitpose_t_coco):
    return TopDownPoseONNX(levitpose_t_coco[2], num_threads=1)


@pytest.mark.parametrize(
    'box',
    [
        (30., 40., 30., 90.),  # zero width: ZeroDivisionError before
        (30., 40., 80., 40.),  # zero height
        (80., 40., 30., 90.),  # negative width
        (np.nan, 40., 80., 90.),  # non-finite keypoints before
        (30., 40., 80., np.inf),
    ])
def test_degenerate_box_gets_a_value_error_naming_it(pose, box):
    image = np.full((120, 160, 3), 100, np.uint8)
    boxes = np.array([(10., 10., 60., 100.), box], np.float32)
    with pytest.raises(ValueError, match=r'bbox \(x1, y1, x2, y2\) = '):
        pose(image, boxes)


def test_tiny_box_still_gives_finite_keypoints(pose):
    image = np.full((120, 160, 3), 100, np.uint8)
    keypoints, scores = pose(image, np.array([(50., 50., 50.5, 51.)]))
    assert np.isfinite(keypoints).all() and np.isfinite(scores).all()
