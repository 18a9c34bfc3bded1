"""``PoseTracker`` on synthetic people: stable ids through crossings and
missed detections, new (never reused) ids after a drop without
re-identification (with it: ``test_reid.py``), the detection
interval, smoothing and one batched pose call per frame."""
import json

import numpy as np
import pytest
from synthetic_people import World, run

from levitpose_lite import TopDownPoseONNX
from levitpose_lite.matching import greedy_match, pose_similarity
from levitpose_lite.tracker import PoseTracker
from levitpose_lite.video import read_frames

PAN_VIDEO = 'demo/resources/crowdpose_103319_pan.mp4'
PAN_GT = 'demo/resources/crowdpose_103319_pan.json'


def walker(x0, y, height, speed, frames=None):
    """A person walking sideways, present in ``frames`` (default always).
    """

    def where(frame):
        if frames is not None and frame not in frames:
            return None
        return (x0 + speed * frame, y, height)

    return where


def make_tracker(world, **kwargs):
    kwargs.setdefault('smooth', False)
    return PoseTracker(world.detector, world.pose, **kwargs)


def ids_of(identities, name):
    return [ids[name] for ids in identities if name in ids]


def test_crossing_people_keep_their_ids():
    # A walks right, B left, farther back; their boxes overlap for frames
    world = World({
        'a': walker(150, 280, 200, 10),
        'b': walker(490, 220, 170, -10)
    })
    identities, _ = run(make_tracker(world), world, 35)
    assert all(set(ids) == {'a', 'b'} for ids in identities)
    assert set(ids_of(identities, 'a')) == {0}
    assert set(ids_of(identities, 'b')) == {1}


def test_missed_detections_and_an_occluded_frame_keep_the_id():
    world = World({'a': walker(100, 240, 200, 5)},
                  missed={(f, 'a')
                          for f in range(1, 6)},
                  occluded={(8, 'a')})
    identities, _ = run(make_tracker(world), world, 15)
    assert 'a' not in identities[8]  # the pose model did not see it
    assert set(ids_of(identities, 'a')) == {0}
    assert len(ids_of(identities, 'a')) == 14


def test_a_person_back_after_a_drop_gets_a_new_never_used_id():
    # a leaves for 20 frames (> max_missing), b stays, c arrives meanwhile;
    # without re-identification (reid_memory=0, as MMDeploy; see
    # test_reid.py for it) a comes back as someone new
    away = set(range(10, 30))
    world = World({
        'a': walker(100, 240, 200, 0,
                    set(range(40)) - away),
        'b': walker(400, 240, 200, 0),
        'c': walker(250, 240, 180, 0, set(range(20, 40)))
    })
    tracker = make_tracker(world, max_missing=10, reid_memory=0)
    identities, _ = run(tracker, world, 40)
    first, second = identities[0]['a'], identities[35]['a']
    assert second != first
    assert second not in ids_of(identities, 'b') + ids_of(identities, 'c')
    assert set(ids_of(identities, 'b')) == {identities[0]['b']}
    seen = [ids[name] for ids in identities for name in ids]
    assert max(seen) == len(set(seen)) - 1  # ids are issued in order once


def test_track_dropped_after_max_missing_frames():
    world = World({'a': walker(100, 240, 200, 0, set(range(5)))})
    tracker = make_tracker(world, max_missing=3)
    counts = []
    for frame in range(12):
        tracker(world.at(frame))
        counts.append(len(tracker.tracks))
    # absent from frame 5: kept while missing 1..3 frames, dropped at 4
    assert counts == [1] * 8 + [0] * 4


def test_detector_runs_every_det_interval_frames():
    world = World({'a': walker(100, 240, 200, 6)})
    identities, _ = run(make_tracker(world, det_interval=5), world, 20)
    assert world.detector_calls == 4  # frames 0, 5, 10, 15
    assert set(ids_of(identities, 'a')) == {0}
    assert len(ids_of(identities, 'a')) == 20


def test_a_new_person_waits_for_the_next_detection_frame():
    world = World({
        'a': walker(100, 240, 200, 0),
        'b': walker(400, 240, 200, 0, set(range(2, 20)))
    })
    identities, _ = run(make_tracker(world, det_interval=5), world, 8)
    assert ['b' in ids for ids in identities] == [False] * 5 + [True] * 3


def test_one_pose_call_per_frame_between_detections():
    world = World({
        'a': walker(100, 240, 200, 4),
        'b': walker(400, 240, 200, -4)
    })
    tracker = make_tracker(world, det_interval=5)
    run(tracker, world, 10)
    # frame 0: two refinement rounds on the new people, then the frame's
    # call with their refined and unrefined boxes; frame 5 (detection, no
    # one new): one call with the tracked boxes and the detected ones
    # (the poses decide which are the same people); other frames: one call
    # with both people
    assert world.pose_calls == [2, 2, 4] + [2] * 4 + [4] + [2] * 4


def test_per_person_mode_gives_the_batched_results():
    paths = {'a': walker(100, 240, 200, 4), 'b': walker(400, 240, 200, -4)}
    batched_world, single_world = World(paths), World(paths)
    _, batched = run(make_tracker(batched_world), batched_world, 6)
    _, single = run(make_tracker(single_world, batched=False), single_world, 6)
    assert set(single_world.pose_calls) == {1}
    assert len(single_world.pose_calls) == sum(batched_world.pose_calls)
    for frame_a, frame_b in zip(batched, single):
        assert [p['track_id'] for p in frame_a] == \
            [p['track_id'] for p in frame_b]
        for a, b in zip(frame_a, frame_b):
            np.testing.assert_array_equal(a['keypoints'], b['keypoints'])


def test_results_carry_track_id_bbox_and_keypoints():
    world = World({'a': walker(100, 240, 200, 0)})
    person = make_tracker(world)(world.at(0))[0]
    assert set(person) == {
        'track_id', 'bbox', 'bbox_score', 'keypoints', 'keypoint_scores'
    }
    assert person['bbox'].shape == (4, )
    assert person['keypoints'].shape == (17, 2)
    assert person['keypoint_scores'].shape == (17, )


def test_smoothing_is_on_by_default_and_reduces_jitter():
    rng = np.random.default_rng(0)
    noise = rng.normal(0, 3, size=(40, 2))
    world = World({'a': lambda f: (300 + noise[f, 0], 240 + noise[f, 1], 200)})
    _, smoothed = run(PoseTracker(world.detector, world.pose), world, 40)
    _, raw = run(make_tracker(world), world, 40)
    nose = [frame[0]['keypoints'][0] for frame in smoothed[10:]]
    raw_nose = [frame[0]['keypoints'][0] for frame in raw[10:]]
    # the default beta (chosen for little lag when people move, see
    # SMOOTHING) leaves a still person's jitter at about half
    assert np.std(nose, axis=0).max() < 0.55 * np.std(raw_nose, axis=0).min()


def test_oks_preferred_over_iou_when_boxes_overlap():
    rng = np.random.default_rng(1)
    track = rng.uniform(100, 300, size=(1, 17, 2)).astype(np.float32)
    track_box = np.array([[100, 100, 300, 300]], np.float32)
    # candidate 0 has the track's very box but other keypoints; candidate
    # 1 is the tracked person, moved a little, in a less overlapping box
    other = rng.uniform(100, 300, size=(1, 17, 2)).astype(np.float32)
    keypoints = np.concatenate([other, track + 3])
    boxes = np.array([[100, 100, 300, 300], [140, 130, 340, 330]], np.float32)
    scores = np.full((1, 17), 0.9, np.float32)
    similarity, is_oks = pose_similarity(track, scores, track_box, keypoints,
                                         np.tile(scores, (2, 1)), boxes, 0.3)
    assert is_oks.all()
    assert greedy_match(similarity, 0.3) == [(0, 1)]


def test_iou_fallback_when_keypoints_are_unconfident():
    keypoints = np.zeros((1, 17, 2), np.float32)
    low = np.full((1, 17), 0.1, np.float32)
    box = np.array([[0, 0, 100, 200]], np.float32)
    similarity, is_oks = pose_similarity(keypoints, low, box, keypoints, low,
                                         box + 10, 0.3)
    assert not is_oks.any()
    expected = 90 * 190 / (2 * 100 * 200 - 90 * 190)
    np.testing.assert_allclose(similarity, [[expected]], rtol=1e-6)


@pytest.mark.parametrize('kwargs,match', [
    (dict(det_interval=0), 'det_interval'),
    (dict(max_missing=-1), 'max_missing'),
    (dict(fps=0), 'fps'),
    (dict(smoothing=dict(min_cutoff=0)), 'min_cutoff'),
])
def test_bad_arguments_raise(kwargs, match):
    world = World({})
    with pytest.raises(ValueError, match=match):
        PoseTracker(world.detector, world.pose, **kwargs)


def test_grey_frame_raises():
    world = World({})
    with pytest.raises(ValueError, match=r'\(H, W, 3\)'):
        PoseTracker(world.detector, world.pose)(np.zeros((4, 4), np.uint8))


def test_a_person_walking_out_of_the_frame_is_dropped():
    # boxes of people leaving are clipped to the image; once nothing is
    # left of them no pose is estimated there
    world = World({'a': walker(540, 240, 200, 15)})
    tracker = make_tracker(world, max_missing=2)
    identities, _ = run(tracker, world, 16)
    assert set(ids_of(identities, 'a')) == {0}
    assert tracker.tracks == []
    assert all(n > 0 for n in world.pose_calls)


def badly_estimated(world, frames):
    """``world.pose``, but on ``frames`` every pose comes with its
    keypoints shuffled, differently in every frame (rolled by the frame
    index): the box of a person, the joints of no one, matching neither
    the true pose nor the last frame's by OKS."""

    def pose(image, boxes):
        keypoints, scores = world.pose(image, boxes)
        if world.frame in frames:
            keypoints = np.roll(keypoints, world.frame, axis=1)
        return keypoints, scores

    return pose


def track_badly_estimated(person, bad_frames, **options):
    """Track one person, detected once (no smoothing), whose pose is badly
    estimated in ``bad_frames``; per frame of 12: the people reported and
    the number of tracks kept."""
    world = World({'a': person})
    tracker = PoseTracker(
        world.detector,
        badly_estimated(world, bad_frames),
        det_interval=100,
        smooth=False,
        **options)
    reported, tracks = [], []
    for frame in range(12):
        reported.append(tracker(world.at(frame)))
        tracks.append(len(tracker.tracks))
    return reported, tracks


def test_a_badly_estimated_pose_keeps_its_track_and_starts_none():
    # frames 3-6: the pose in the track's own box matches no track; it
    # must not start a track (each would propose a box, and their poses
    # more tracks), but continue the track whose box it came from
    reported, tracks = track_badly_estimated(
        walker(200, 240, 200, 2), set(range(3, 7)))
    assert tracks == [1] * 12
    assert {p['track_id'] for people in reported for p in people} == {0}


def test_a_track_guesses_for_at_most_max_missing_frames():
    # badly estimated for good from frame 3: after max_missing guesses
    # the track is no longer updated, and is dropped max_missing later
    reported, tracks = track_badly_estimated(
        walker(200, 240, 200, 0),
        set(range(3, 20)),
        max_missing=3,
        reid_memory=0)
    # guesses in frames 3-5; missing in 6-8, dropped in 9
    assert [len(people) for people in reported] == [1] * 6 + [0] * 6
    assert tracks == [1] * 9 + [0] * 3


def test_optimal_matching_beats_greedy_where_greedy_is_wrong():
    from levitpose_lite.matching import optimal_match

    # greedy takes (0, 0) first and leaves 1 unmatched; the optimum pairs
    # both
    similarity = np.array([[0.9, 0.8], [0.85, 0.1]])
    assert greedy_match(similarity, 0.5) == [(0, 0)]
    assert optimal_match(similarity, 0.5) == [(0, 1), (1, 0)]
    assert optimal_match(np.zeros((2, 2)), 0.5) == []


def test_hungarian_tracker_keeps_crossing_ids():
    world = World({
        'a': walker(150, 280, 200, 10),
        'b': walker(490, 220, 170, -10)
    })
    identities, _ = run(make_tracker(world, matching='hungarian'), world, 35)
    assert all(set(ids) == {'a', 'b'} for ids in identities)
    assert len(set(ids_of(identities, 'a'))) == 1


def test_unknown_matching_raises():
    world = World({})
    with pytest.raises(ValueError, match='matching must be one of'):
        make_tracker(world, matching='nearest')


def test_batched_and_per_person_pose_agree_on_the_video(
        repo_root, levitpose_t_coco):
    gt = json.loads((repo_root / PAN_GT).read_text())['frames']
    frames, _ = read_frames(str(repo_root / PAN_VIDEO), 4)
    pose = TopDownPoseONNX(levitpose_t_coco[2])
    runs = []
    for batched in (True, False):
        state = dict(frame=0)

        def detector(image):
            boxes = np.array(gt[state['frame']]['boxes'], np.float32)
            return boxes, np.ones(len(boxes), np.float32)

        # random weights: keep every pose, however unconfident
        tracker = PoseTracker(
            detector,
            pose,
            kpt_thr=-1e9,
            batched=batched,
            box_refinement=False)
        results = []
        for i, frame in enumerate(frames):
            state['frame'] = i
            results.append(tracker(frame))
        runs.append(results)
    for batched, single in zip(*runs):
        assert len(batched) == len(single) > 0
        for a, b in zip(batched, single):
            assert a['track_id'] == b['track_id']
            np.testing.assert_allclose(
                a['keypoints'], b['keypoints'], atol=1e-3)
