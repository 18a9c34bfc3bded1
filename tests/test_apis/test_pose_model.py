"""levitpose.apis.init_pose_model / inference_topdown_keypoints."""
import numpy as np
import pytest
import torch

from levitpose.apis import inference_topdown_keypoints, init_pose_model
from levitpose.utils import InvalidInputError, MissingFileError


def xyxy(box):
    x, y, w, h = box
    return [x, y, x + w, y + h]


def test_keypoints_per_box_have_coco_shape(pose_model, coco_sample):
    folder, boxes = coco_sample
    gt = [xyxy(b) for b in boxes['000000197388.jpg']]
    keypoints, scores = inference_topdown_keypoints(
        pose_model, str(folder / '000000197388.jpg'), gt)
    assert (keypoints.shape, scores.shape) == ((5, 17, 2), (5, 17))


def test_keypoints_lie_in_the_cropped_region(pose_model, coco_sample):
    folder, boxes = coco_sample
    box = np.array(xyxy(boxes['000000000785.jpg'][0]))
    keypoints, scores = inference_topdown_keypoints(
        pose_model, str(folder / '000000000785.jpg'), [box])
    center, size = (box[:2] + box[2:]) / 2, (box[2:] - box[:2]).max()
    # the crop is the box padded by 1.25 and made square (256x256 input);
    # MMPose's decoder puts a keypoint whose heatmap has no positive value
    # at heatmap position -1 (outside the crop) with a score <= 0
    found = scores[0] > 0
    assert found.any()
    inside = np.abs(keypoints[0] - center) <= 1.25 * size / 2 + 1
    assert inside[found].all()


def test_no_boxes_give_no_keypoints(pose_model, coco_sample):
    folder, _ = coco_sample
    keypoints, scores = inference_topdown_keypoints(
        pose_model, str(folder / '000000000785.jpg'), np.zeros((0, 4)))
    assert (keypoints.shape, scores.shape) == ((0, 17, 2), (0, 17))


@pytest.mark.parametrize('bboxes,match', [
    ([[0, 0, 10]], r'shape \(N, 4\)'),
    ([[10, 10, 5, 20]], 'x2 > x1'),
    ([[0, 0, np.nan, 5]], 'NaN'),
])
def test_bad_boxes_are_refused(pose_model, coco_sample, bboxes, match):
    folder, _ = coco_sample
    with pytest.raises(InvalidInputError, match=match):
        inference_topdown_keypoints(pose_model,
                                    str(folder / '000000000785.jpg'), bboxes)


def test_array_image_gives_same_keypoints_as_path(pose_model, coco_sample):
    import cv2
    folder, boxes = coco_sample
    path = str(folder / '000000040083.jpg')
    box = [xyxy(boxes['000000040083.jpg'][0])]
    from_path = inference_topdown_keypoints(pose_model, path, box)[0]
    from_array = inference_topdown_keypoints(pose_model, cv2.imread(path),
                                             box)[0]
    np.testing.assert_allclose(from_array, from_path, atol=1e-4)


def test_checkpoint_round_trip_gives_same_weights(pose_config, pose_model,
                                                  pose_checkpoint):
    model = init_pose_model(pose_config, pose_checkpoint, device='cpu')
    for (name, value), expected in zip(model.state_dict().items(),
                                       pose_model.state_dict().values()):
        assert torch.equal(value, expected), name


def test_checkpoint_that_does_not_fit_names_keys(pose_config, pose_model,
                                                 tmp_path):
    state = dict(pose_model.state_dict())
    dropped = next(iter(state))
    del state[dropped]
    state['head.extra.weight'] = torch.zeros(1)
    path = tmp_path / 'other.pth'
    torch.save(dict(state_dict=state), str(path))
    with pytest.raises(InvalidInputError) as info:
        init_pose_model(pose_config, str(path), device='cpu')
    assert dropped in str(info.value)
    assert 'head.extra.weight' in str(info.value)


def test_missing_config_is_refused(tmp_path):
    with pytest.raises(MissingFileError, match='config .* does not exist'):
        init_pose_model(str(tmp_path / 'nope.py'))


def test_config_without_model_is_refused(tmp_path):
    path = tmp_path / 'empty.py'
    path.write_text('x = 1\n')
    with pytest.raises(InvalidInputError, match='defines no model'):
        init_pose_model(str(path))


def test_config_value_that_does_not_build_is_one_line(pose_config):
    with pytest.raises(InvalidInputError) as info:
        init_pose_model(
            pose_config, cfg_options={'model.backbone.arch': 'huge'})
    message = str(info.value)
    assert message.startswith('cannot build a pose model from config ')
    assert 'huge' in message and '\n' not in message
