"""MMPose's own MMPoseInferencer runs a LEViTPose config and checkpoint."""
from mmpose.apis import MMPoseInferencer


def test_inferencer_returns_17_keypoints(pose_config, pose_checkpoint,
                                         coco_sample):
    folder, _ = coco_sample
    inferencer = MMPoseInferencer(
        pose2d=pose_config,
        pose2d_weights=pose_checkpoint,
        det_model='whole_image',
        device='cpu')
    result = next(inferencer(str(folder / '000000000785.jpg')))
    people = result['predictions'][0]
    assert len(people) == 1
    assert len(people[0]['keypoints']) == 17
    assert len(people[0]['keypoint_scores']) == 17
