"""Tracking measured against known poses (``levitpose_lite.track_eval``):
the oracle, the ground-truth readers and checks, TrackEval's figures on
hand-made results, and the tracker's behaviour with people who overlap."""
import json

import numpy as np
import pytest

from levitpose_lite import track_eval
from levitpose_lite.track_eval import (FrameTruth, Oracle, check_truth,
                                       evaluate, load_truth, overlap_truth)

GT = 'demo/resources/crowdpose_103319_pan.json'


@pytest.fixture(scope='module')
def pan(repo_root):
    """The bundled CrowdPose pan's truth: two real people in 75 frames."""
    return load_truth(str(repo_root / GT))


@pytest.fixture(scope='module')
def two_poses(pan):
    first = pan[0][0]
    return first.select([0]), first.select([1])


def test_pan_truth_has_keypoints_inside_the_boxes(pan):
    frames, size = pan
    assert size == (480, 360) and len(frames) == 75
    for frame in frames:
        assert frame.keypoints.shape == (2, 14, 2)
        seen = frame.keypoints[frame.visible]
        assert (seen >= 0).all() and (seen < size).all()
        assert frame.present().all()


def test_oracle_returns_the_person_each_box_frames(pan):
    frames, _ = pan
    oracle = Oracle(frames, noise=0.)
    oracle.frame = 10
    truth = frames[10]
    boxes = truth.boxes[::-1]  # asked in the other order
    keypoints, scores = oracle.pose(None, boxes)
    np.testing.assert_allclose(keypoints[0][truth.visible[1]],
                               truth.keypoints[1][truth.visible[1]])
    np.testing.assert_array_equal(scores > 0, truth.visible[::-1])
    # a box on no one: nothing confident
    _, scores = oracle.pose(None, np.array([[0, 0, 5, 5]], np.float32))
    assert not scores.any()


def test_oracle_noise_is_the_asked_share_of_height(pan):
    frames, _ = pan
    errors = []
    for frame in range(len(frames)):
        oracle = Oracle(frames, noise=0.02, seed=1)
        oracle.frame = frame
        truth = frames[frame]
        keypoints, _ = oracle.pose(None, truth.boxes)
        height = (truth.boxes[:, 3] - truth.boxes[:, 1])[:, None, None]
        errors.append(((keypoints - truth.keypoints) / height).ravel())
    assert np.std(np.concatenate(errors)) == pytest.approx(0.02, rel=0.05)


def test_oracle_misses_detections_at_the_asked_rate(pan):
    frames, _ = pan
    oracle = Oracle(frames, noise=0., miss_rate=0.3)
    found = []
    for frame in range(len(frames)):
        oracle.frame = frame
        found.append(len(oracle.detector(None)[0]))
    assert np.mean(found) / 2 == pytest.approx(0.7, abs=0.1)


@pytest.mark.parametrize(
    'kwargs',
    [dict(noise=0.6),
     dict(noise=-0.01),
     dict(noise=0., miss_rate=1.)])
def test_oracle_rejects_out_of_range_settings(pan, kwargs):
    with pytest.raises(ValueError, match='must be in'):
        Oracle(pan[0], **kwargs)


def test_coco_video_annotations_are_read_by_frame_id(tmp_path):
    kpts = [10, 20, 2] * 17
    data = dict(
        images=[
            dict(id=7, frame_id=1, width=64, height=48),
            dict(id=9, frame_id=0, width=64, height=48)
        ],
        annotations=[
            dict(image_id=9, track_id=3, bbox=[1, 2, 10, 20], keypoints=kpts),
            dict(image_id=7, track_id=3, bbox=[2, 2, 10, 20], keypoints=kpts)
        ])
    path = tmp_path / 'video.json'
    path.write_text(json.dumps(data))
    frames, size = load_truth(str(path))
    assert size == (64, 48)
    np.testing.assert_allclose(frames[0].boxes, [[1, 2, 11, 22]])
    np.testing.assert_allclose(frames[1].boxes, [[2, 2, 12, 22]])
    assert frames[1].ids.tolist() == [3]


@pytest.mark.parametrize('text,match',
                         [('[1, 2]', 'neither'),
                          ('{"frames": [{"boxes": 1}]}', 'missing'),
                          ('nope', 'not JSON'),
                          ('{"frames": []}', 'no frame')])
def test_bad_annotations_are_one_line_errors(tmp_path, text, match):
    path = tmp_path / 'bad.json'
    path.write_text(text)
    with pytest.raises(ValueError, match=match) as err:
        load_truth(str(path))
    assert '\n' not in str(err.value)


def test_annotations_must_fit_the_video(pan):
    frames, size = pan
    check_truth(frames, size, 75, 480, 360, 'gt.json')
    with pytest.raises(
            ValueError, match='annotates 75 frames but the video '
            'has 60'):
        check_truth(frames, size, 60, 480, 360, 'gt.json')
    with pytest.raises(
            ValueError, match='480x360 frames but the video is '
            '640x480'):
        check_truth(frames, size, 75, 640, 480, 'gt.json')


def test_overlap_truth_has_the_asked_iou(two_poses):
    from levitpose_lite.boxes import box_iou
    frames = overlap_truth(*two_poses, iou=0.7, num_frames=20)
    for frame in frames:
        assert box_iou(frame.boxes[:1], frame.boxes[1:])[0, 0] == \
            pytest.approx(0.7, abs=1e-3)


def person(track_id, keypoints):
    return dict(
        track_id=track_id, keypoints=keypoints, raw_keypoints=keypoints)


def test_trackeval_counts_a_switch_and_a_miss(two_poses):
    truth = overlap_truth(*two_poses, iou=0.0, num_frames=4)
    a, b = ([f.keypoints[i] for f in truth] for i in range(2))
    results = [[person(0, a[0]), person(1, b[0])], [person(0, a[1])],
               [person(0, a[2]), person(1, b[2])],
               [person(2, a[3]), person(1, b[3])]]
    from trackeval.metrics import CLEAR
    data = track_eval._trackeval_data(truth, results)
    figures = CLEAR(dict(PRINT_CONFIG=False)).eval_sequence(data)
    assert (figures['IDSW'], figures['CLR_FN'], figures['CLR_TP']) == (1, 1, 7)
    assert figures['Frag'] == 1  # b: tracked, missed, tracked again


def test_a_wrong_persons_pose_does_not_match(two_poses):
    truth = overlap_truth(*two_poses, iou=0.0, num_frames=1)[0]
    similarity = track_eval.track_similarity(truth,
                                             [person(0, truth.keypoints[1])])
    assert similarity[1, 0] == pytest.approx(1.)
    assert similarity[0, 0] < track_eval.MATCH_OKS


@pytest.mark.parametrize('iou', [0.5, 0.6, 0.7])
def test_overlapping_people_are_never_merged(two_poses, iou):
    frames = overlap_truth(*two_poses, iou=iou, num_frames=60)
    figures = evaluate(frames, (480, 360), noise=0.01, det_interval=5, fps=15)
    assert figures['found'] == 1.
    assert figures['IDSW'] == 0 and figures['CLR_FP'] == 0


def test_figures_see_a_person_lost_to_box_nms(two_poses, monkeypatch):
    """Box NMS at IoU 0.5 on the detections (what the tracker did before)
    loses the second person, and the figures show it."""
    from levitpose_lite import boxes
    frames = overlap_truth(*two_poses, iou=0.7, num_frames=30)
    detect = Oracle.detector

    def nms_detector(self, image):
        found, scores = detect(self, image)
        keep = boxes.nms(found, scores, 0.5)
        return found[keep], scores[keep]

    monkeypatch.setattr(Oracle, 'detector', nms_detector)
    figures = evaluate(frames, (480, 360), noise=0.01, det_interval=5, fps=15)
    assert figures['found'] < 0.6


def test_smoothing_beats_raw_keypoints_with_noise(pan):
    frames, size = pan
    figures = evaluate(frames, size, noise=0.01, det_interval=5, fps=15)
    assert figures['error_smoothed'] < figures['error_raw']
    assert figures['found'] == 1. and figures['IDSW'] == 0


def test_noise_free_raw_keypoints_are_exact(pan):
    frames, size = pan
    figures = evaluate(frames[:10], size, noise=0., det_interval=1, fps=15)
    assert figures['error_raw'] == pytest.approx(0., abs=1e-3)
    assert figures['MOTA'] == figures['IDF1'] == 1.


def test_combined_figures_add_up(pan):
    frames, size = pan
    runs = [
        evaluate(frames[:20], size, 0.01, 5, fps=15),
        evaluate(frames[20:], size, 0.01, 5, fps=15)
    ]
    both = track_eval.combine(runs)
    assert both['people_frames'] == 150 == sum(r['people_frames']
                                               for r in runs)
    assert both['CLR_TP'] == sum(r['CLR_TP'] for r in runs)


def test_frame_truth_select_keeps_order():
    frame = FrameTruth(
        np.array([4, 5]), np.zeros((2, 4)), np.zeros((2, 3, 2)),
        np.ones((2, 3), bool))
    assert frame.select([1]).ids.tolist() == [5]


def test_id_switches_are_counted_per_ground_truth_person():
    box_a, box_b = [0, 0, 10, 20], [50, 0, 60, 20]
    gt = [dict(boxes=[box_a, box_b])] * 4

    def person(track_id, box):
        return dict(track_id=track_id, bbox=np.array(box, np.float32))

    results = [
        [person(0, box_a), person(1, box_b)],
        [person(0, box_a)],  # b missed: not a switch
        [person(0, box_a), person(1, box_b)],
        [person(2, box_a), person(1, box_b)],  # a switched to id 2
    ]
    switches, tracked = track_eval.count_id_switches(results, gt)
    assert switches == 1
    assert tracked == pytest.approx(7 / 8)
