"""Tracking quality measured against known poses.

A video whose people are annotated in every frame (a pan made by
``tools/misc/make_pan_video.py``, or a COCO-style video annotation with
``track_id`` as PoseTrack writes it) is tracked by
:class:`~levitpose_lite.tracker.PoseTracker` with *oracle* inputs instead of
models: :class:`Oracle` detects the annotated people's boxes and, for each
box it is asked about, returns the keypoints of the annotated person that
box frames best, both with controlled Gaussian noise (a fraction of the
person's height) and detections missed at a chosen rate. Everything the
tracker decides (merging, duplicate removal, matching, ids, smoothing) is
then measured exactly: multi-object-tracking figures come from TrackEval
(``CLEAR`` and ``Identity``; a tracked pose matches a true one where their
OKS is at least :data:`MATCH_OKS`), keypoint errors are in pixels.

Note:
    - N: people in a frame, K: keypoints
    - A true person counts in a frame where at least half of its
      keypoints are labelled and in view (what a pose model can report,
      see :func:`~levitpose_lite.box_refinement.min_confident_keypoints`).
"""
import itertools
import json
import time
from dataclasses import dataclass
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import numpy as np

from .box_refinement import min_confident_keypoints
from .boxes import box_iou, keypoints_to_boxes
from .matching import greedy_match, keypoint_sigmas, oks_matrix

__all__ = [
    'MATCH_OKS', 'MAX_NOISE', 'FrameTruth', 'load_truth', 'check_truth',
    'Oracle', 'overlap_truth', 'track_similarity', 'evaluate', 'combine',
    'GT_IOU_THR', 'count_id_switches'
]

#: Least OKS between a tracked and a true pose for them to match (the
#: threshold TrackEval uses by default for box IoU).
MATCH_OKS = 0.5
#: Largest noise, as a fraction of the person's height.
MAX_NOISE = 0.5
#: Least box IoU between a queried box and the true person whose pose the
#: oracle returns; below it the box holds no one (all scores 0).
ORACLE_MIN_IOU = 0.1
#: Least IoU between a true box and the tracked box matched to that person
#: by :func:`count_id_switches`.
GT_IOU_THR = 0.3


@dataclass
class FrameTruth:
    """The annotated people of one frame.

    Args:
        ids (np.ndarray): Person ids (N, ), int, the same person the same
            id in every frame.
        boxes (np.ndarray): Boxes (N, 4) ``(x1, y1, x2, y2)``.
        keypoints (np.ndarray): Keypoints (N, K, 2).
        visible (np.ndarray): Which keypoints are labelled and in view
            (N, K), bool.
    """
    ids: np.ndarray
    boxes: np.ndarray
    keypoints: np.ndarray
    visible: np.ndarray

    def present(self) -> np.ndarray:
        """Which people (N, ) have enough keypoints in view to count."""
        if not len(self.ids):
            return np.zeros(0, bool)
        least = min_confident_keypoints(self.visible.shape[1])
        return self.visible.sum(axis=1) >= least

    def select(self, indices) -> 'FrameTruth':
        """The people at ``indices`` only."""
        return FrameTruth(self.ids[indices], self.boxes[indices],
                          self.keypoints[indices], self.visible[indices])


def _frame(ids, boxes, keypoints) -> FrameTruth:
    keypoints = np.asarray(keypoints, np.float32).reshape(len(ids), -1, 3)
    return FrameTruth(
        np.asarray(ids, np.int64),
        np.asarray(boxes, np.float32).reshape(-1, 4), keypoints[..., :2],
        keypoints[..., 2] > 0)


def load_truth(path: str) -> Tuple[List[FrameTruth], Optional[tuple]]:
    """Per-frame ground truth from a JSON file.

    Two layouts are read: ``make_pan_video.py``'s (``frames[i].boxes`` and
    ``frames[i].keypoints``, people in the same order in every frame;
    ``size`` ``[w, h]``) and COCO-style video annotations (``images`` with
    ``frame_id`` or, failing that, ordered by ``id``; ``annotations`` with
    ``image_id``, ``bbox`` ``[x, y, w, h]``, ``keypoints`` and
    ``track_id``; image ``width``/``height``).

    Returns:
        tuple: the frames, and the frame size ``(w, h)`` when the file
        gives one (else None).

    Raises:
        ValueError: If the file is no such annotation (the message names
            what is missing).
    """
    try:
        with open(path) as f:
            data = json.load(f)
    except json.JSONDecodeError as err:
        raise ValueError(f'{path} is not JSON: {err}') from err
    try:
        if isinstance(data, dict) and 'frames' in data:
            frames = [
                _frame(
                    np.arange(len(frame['boxes'])), frame['boxes'],
                    frame['keypoints']) for frame in data['frames']
            ]
            size = tuple(data['size']) if 'size' in data else None
        elif isinstance(data, dict) and 'images' in data:
            images = sorted(
                data['images'],
                key=lambda im: (im.get('frame_id', 0), im['id']))
            people = {im['id']: [] for im in images}
            for ann in data['annotations']:
                people[ann['image_id']].append(ann)
            frames = []
            for im in images:
                anns = people[im['id']]
                frames.append(
                    _frame([a['track_id'] for a in anns],
                           [[x, y, x + w, y + h]
                            for x, y, w, h in (a['bbox'] for a in anns)],
                           [a['keypoints'] for a in anns]))
            sizes = {(im['width'], im['height']) for im in images}
            size = sizes.pop() if len(sizes) == 1 else None
        else:
            raise ValueError(f'{path} has neither "frames" '
                             '(make_pan_video.py) nor "images" (COCO)')
    except (KeyError, TypeError, IndexError) as err:
        raise ValueError(f'{path} is not a per-frame pose annotation '
                         f'(bad or missing {err})') from err
    if not frames:
        raise ValueError(f'{path} annotates no frame')
    return frames, size


def check_truth(frames: Sequence[FrameTruth], size: Optional[tuple],
                num_frames: int, width: int, height: int, path: str) -> None:
    """Raise ValueError (one line) where the annotation ``path`` does not
    fit a video of ``num_frames`` frames of ``width`` x ``height``."""
    if len(frames) != num_frames:
        raise ValueError(f'{path} annotates {len(frames)} frames but the '
                         f'video has {num_frames}')
    if size is not None and tuple(size) != (width, height):
        raise ValueError(f'{path} is for {size[0]}x{size[1]} frames but '
                         f'the video is {width}x{height}')
    num_keypoints = {f.keypoints.shape[1] for f in frames if len(f.ids)}
    if len(num_keypoints) > 1:
        raise ValueError(f'{path} mixes poses of {sorted(num_keypoints)} '
                         'keypoints')


class Oracle:
    """A detector and a pose estimator that know the truth.

    Set :attr:`frame` to the frame's index before each tracker call.

    Args:
        frames (Sequence[FrameTruth]): The truth of each frame.
        noise (float): Standard deviation of the keypoint and box corner
            noise, a fraction of each person's box height, in [0,
            :data:`MAX_NOISE`].
        miss_rate (float): Chance that the detector misses a person, in
            [0, 1). Defaults to 0.
        seed (int): Seed of the noise. The noise of a person's keypoints
            depends only on (seed, frame, person), so two queries on one
            person in one frame give the same pose. Defaults to 0.
    """

    def __init__(self,
                 frames: Sequence[FrameTruth],
                 noise: float,
                 miss_rate: float = 0.,
                 seed: int = 0) -> None:
        if not 0 <= noise <= MAX_NOISE:
            raise ValueError(f'noise must be in [0, {MAX_NOISE}] (a fraction '
                             f'of the person height), got {noise!r}')
        if not 0 <= miss_rate < 1:
            raise ValueError(f'miss rate must be in [0, 1), got {miss_rate!r}')
        self.frames = frames
        self.noise = noise
        self.miss_rate = miss_rate
        self.seed = seed
        self.frame = 0

    def _rng(self, kind: int, person: int) -> np.random.Generator:
        return np.random.default_rng((self.seed, kind, self.frame, person))

    def detector(self, image: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """The boxes of the people present, noisy, some missed."""
        truth = self.frames[self.frame]
        boxes = []
        for i in np.flatnonzero(truth.present()):
            rng = self._rng(0, int(truth.ids[i]))
            if rng.random() < self.miss_rate:
                continue
            box = truth.boxes[i]
            sigma = self.noise * (box[3] - box[1])
            boxes.append(box + rng.normal(0., 1., 4) * sigma)
        boxes = np.asarray(boxes, np.float32).reshape(-1, 4)
        return boxes, np.ones(len(boxes), np.float32)

    def pose(self, image: np.ndarray,
             boxes: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """For each box, the noisy keypoints of the true person whose
        keypoints' box (as the tracker draws it, see
        :func:`~levitpose_lite.boxes.keypoints_to_boxes`) it overlaps most,
        by at least :data:`ORACLE_MIN_IOU` (a top-down model reports the
        person its crop frames); scores are 1 where labelled and in view,
        else 0."""
        truth = self.frames[self.frame]
        boxes = np.asarray(boxes, np.float32).reshape(-1, 4)
        num_keypoints = max(
            (f.keypoints.shape[1] for f in self.frames if len(f.ids)),
            default=17)
        keypoints = np.zeros((len(boxes), num_keypoints, 2), np.float32)
        scores = np.zeros((len(boxes), num_keypoints), np.float32)
        present = np.flatnonzero(truth.present())
        if not len(present) or not len(boxes):
            return keypoints, scores
        people, valid = keypoints_to_boxes(truth.keypoints[present],
                                           truth.visible[present], 0.5)
        people = np.where(valid[:, None], people, truth.boxes[present])
        iou = box_iou(boxes, people)
        for row, col in enumerate(iou.argmax(axis=1)):
            if iou[row, col] < ORACLE_MIN_IOU:
                continue
            i = present[col]
            height = truth.boxes[i, 3] - truth.boxes[i, 1]
            noise = self._rng(1, int(truth.ids[i])).normal(
                0., 1., truth.keypoints[i].shape)
            keypoints[row] = truth.keypoints[i] + noise * self.noise * height
            scores[row] = truth.visible[i]
        return keypoints, scores


def overlap_truth(first: FrameTruth,
                  second: FrameTruth,
                  iou: float,
                  num_frames: int = 60,
                  size: Tuple[int, int] = (480, 360)) -> List[FrameTruth]:
    """Two people whose boxes overlap by ``iou`` in every frame.

    Each person is the first person of ``first`` and ``second`` (two real
    annotated poses), resized so that both boxes are 70 % of the frame
    high and equally wide, the second shifted right by what gives the two
    boxes that IoU; both sway sideways together by a tenth of the frame
    width over the ``num_frames`` frames.
    """
    if not 0 <= iou < 1:
        raise ValueError(f'iou must be in [0, 1), got {iou!r}')
    width, height = size
    side_h = 0.7 * height
    side_w = side_h * float((first.boxes[0, 2] - first.boxes[0, 0]) /
                            (first.boxes[0, 3] - first.boxes[0, 1]))
    shift = side_w * (1 - iou) / (1 + iou)
    left = (width - side_w - shift) / 2
    people = []
    for truth, dx in ((first, 0.), (second, shift)):
        box = truth.boxes[0]
        scale = np.array([side_w, side_h]) / (box[2:] - box[:2])
        origin = np.array([left + dx, 0.15 * height])
        people.append(
            ((truth.keypoints[0] - box[:2]) * scale + origin, truth.visible[0],
             np.concatenate([origin, origin + [side_w, side_h]])))
    frames = []
    for t in range(num_frames):
        sway = np.array([0.1 * width * np.sin(2 * np.pi * t / num_frames), 0])
        frames.append(
            FrameTruth(
                np.arange(2),
                np.stack([b + np.tile(sway, 2) for _, _, b in people]),
                np.stack([k + sway for k, _, _ in people]),
                np.stack([v for _, v, _ in people])))
    return frames


def track_similarity(truth: FrameTruth,
                     people: Sequence[dict],
                     sigmas: Optional[Sequence[float]] = None,
                     key: str = 'keypoints') -> np.ndarray:
    """OKS (num true, num tracked) of true poses vs tracked ones, over the
    true keypoints in view, with the true box's area as the object area.
    """
    if not len(truth.ids) or not people:
        return np.zeros((len(truth.ids), len(people)), np.float32)
    keypoints = np.stack([p[key] for p in people]).astype(np.float32)
    areas = np.prod(truth.boxes[:, 2:] - truth.boxes[:, :2], axis=1)
    oks, _ = oks_matrix(truth.keypoints, truth.visible, areas, keypoints,
                        np.ones(keypoints.shape[:2], bool),
                        keypoint_sigmas(keypoints.shape[1], sigmas))
    return oks


def _trackeval_data(truths: Sequence[FrameTruth],
                    results: Sequence[Sequence[dict]]) -> dict:
    """The per-sequence dict TrackEval's metrics take, ids made 0-based."""
    gt_index, tr_index = {}, {}
    data = dict(
        gt_ids=[],
        tracker_ids=[],
        similarity_scores=[],
        num_timesteps=len(truths))
    for truth, people in zip(truths, results):
        present = truth.present()
        frame = truth.select(present)
        data['gt_ids'].append(
            np.array([
                gt_index.setdefault(int(i), len(gt_index)) for i in frame.ids
            ], int))
        data['tracker_ids'].append(
            np.array([
                tr_index.setdefault(p['track_id'], len(tr_index))
                for p in people
            ], int))
        data['similarity_scores'].append(track_similarity(frame, people))
    data['num_gt_ids'], data['num_tracker_ids'] = len(gt_index), len(tr_index)
    data['num_gt_dets'] = sum(map(len, data['gt_ids']))
    data['num_tracker_dets'] = sum(map(len, data['tracker_ids']))
    return data


def _keypoint_errors(truths, results) -> Tuple[float, float]:
    """Mean pixel error of smoothed and raw keypoints over the true
    keypoints in view of (true, tracked) pairs matched one-to-one per
    frame (optimal assignment on OKS, at least :data:`MATCH_OKS`)."""
    from scipy.optimize import linear_sum_assignment
    smoothed, raw = [], []
    for truth, people in zip(truths, results):
        similarity = track_similarity(truth, people)
        if not similarity.size:
            continue
        rows, cols = linear_sum_assignment(-similarity)
        for row, col in zip(rows, cols):
            if similarity[row, col] < MATCH_OKS or not truth.present()[row]:
                continue
            seen = truth.visible[row]
            for errors, key in ((smoothed, 'keypoints'), (raw,
                                                          'raw_keypoints')):
                diff = people[col][key][seen] - truth.keypoints[row][seen]
                errors.extend(np.linalg.norm(diff, axis=1))
    if not smoothed:
        return float('nan'), float('nan')
    return float(np.mean(smoothed)), float(np.mean(raw))


def evaluate(frames: Sequence[FrameTruth],
             size: Tuple[int, int],
             noise: float,
             det_interval: int,
             miss_rate: float = 0.,
             seed: int = 0,
             fps: float = 30.,
             images: Optional[Iterable[np.ndarray]] = None,
             **tracker_kwargs) -> Dict[str, float]:
    """Track ``frames`` with oracle inputs and score the result.

    Args:
        frames (Sequence[FrameTruth]): The truth (see :func:`load_truth`).
        size (tuple[int, int]): The frame size ``(w, h)``.
        noise (float): See :class:`Oracle`.
        det_interval (int): The tracker's detection interval.
        miss_rate (float): See :class:`Oracle`. Defaults to 0.
        seed (int): See :class:`Oracle`. Defaults to 0.
        fps (float): The video's frame rate (the smoother's time).
        images (Iterable[np.ndarray], optional): The video's frames (H, W,
            3), one per frame of ``frames``, for what the tracker reads
            from the image (the appearance of people, for
            re-identification); the oracle ignores them. Defaults to None
            (black frames: everyone looks alike).
        **tracker_kwargs: Other :class:`PoseTracker` arguments.

    Returns:
        dict: TrackEval's ``MOTA``, ``IDF1``, ``IDSW`` (id switches),
        ``Frag`` (fragmentations), ``CLR_TP``/``CLR_FN``/``CLR_FP``;
        ``found`` (the share of true people-frames matched), ``frames``,
        ``people_frames``, ``error_raw`` and ``error_smoothed`` (mean
        keypoint error in pixels), ``tracker_fps`` (frames/s of the
        tracker itself with oracle inputs) and ``trackeval`` (TrackEval's
        own result dicts, for :func:`combine`).
    """
    from trackeval.metrics import CLEAR, Identity

    from .tracker import PoseTracker
    oracle = Oracle(frames, noise, miss_rate, seed)
    tracker = PoseTracker(
        oracle.detector,
        oracle.pose,
        det_interval=det_interval,
        fps=fps,
        **tracker_kwargs)
    if images is None:
        images = itertools.repeat(np.zeros((size[1], size[0], 3), np.uint8))
    results, seconds = [], 0.
    for index, image in zip(range(len(frames)), images):
        oracle.frame = index
        start = time.perf_counter()
        people = tracker(image)
        seconds += time.perf_counter() - start
        raw = {tr.track_id: tr.keypoints for tr in tracker.tracks}
        for person in people:
            person['raw_keypoints'] = raw[person['track_id']]
        results.append(people)
    if len(results) != len(frames):
        raise ValueError(f'got {len(results)} images for {len(frames)} '
                         'annotated frames')
    data = _trackeval_data(frames, results)
    config = dict(THRESHOLD=MATCH_OKS, PRINT_CONFIG=False)
    clear = CLEAR(config).eval_sequence(data)
    identity = Identity(config).eval_sequence(data)
    error_smoothed, error_raw = _keypoint_errors(frames, results)
    figures = dict(
        frames=len(frames),
        people_frames=int(data['num_gt_dets']),
        found=clear['CLR_TP'] / max(data['num_gt_dets'], 1),
        error_raw=error_raw,
        error_smoothed=error_smoothed,
        tracker_fps=len(frames) / max(seconds, 1e-9))
    figures.update({k: float(clear[k]) for k in ('MOTA', 'MOTP')})
    figures.update({
        k: int(clear[k])
        for k in ('IDSW', 'Frag', 'CLR_TP', 'CLR_FN', 'CLR_FP')
    })
    figures['IDF1'] = float(identity['IDF1'])
    figures['trackeval'] = dict(CLEAR=clear, Identity=identity)
    return figures


def combine(runs: Sequence[Dict[str, object]]) -> Dict[str, float]:
    """The figures of several :func:`evaluate` runs taken together:
    TrackEval's own ``combine_sequences`` for its metrics, counts summed,
    keypoint errors averaged weighted by people-frames found."""
    from trackeval.metrics import CLEAR, Identity
    config = dict(THRESHOLD=MATCH_OKS, PRINT_CONFIG=False)
    clear = CLEAR(config).combine_sequences({
        i: r['trackeval']['CLEAR']
        for i, r in enumerate(runs)
    })
    identity = Identity(config).combine_sequences({
        i: r['trackeval']['Identity']
        for i, r in enumerate(runs)
    })
    frames = sum(r['frames'] for r in runs)
    people = sum(r['people_frames'] for r in runs)
    weights = np.array([r['CLR_TP'] for r in runs], np.float64)

    def mean(key):
        values = np.array([r[key] for r in runs], np.float64)
        ok = np.isfinite(values) & (weights > 0)
        return float(np.average(
            values[ok], weights=weights[ok])) if ok.any() else float('nan')

    seconds = sum(r['frames'] / r['tracker_fps'] for r in runs)
    figures = dict(
        frames=frames,
        people_frames=people,
        found=clear['CLR_TP'] / max(people, 1),
        error_raw=mean('error_raw'),
        error_smoothed=mean('error_smoothed'),
        tracker_fps=frames / max(seconds, 1e-9),
        MOTA=float(clear['MOTA']),
        MOTP=float(clear['MOTP']),
        IDF1=float(identity['IDF1']))
    figures.update({
        k: int(clear[k])
        for k in ('IDSW', 'Frag', 'CLR_TP', 'CLR_FN', 'CLR_FP')
    })
    return figures


def count_id_switches(results: Sequence[List[dict]],
                      gt_frames: Sequence[dict]) -> Tuple[int, float]:
    """Identity switches of a tracker run on a video with true boxes, and
    the share of true persons tracked (a quick check beside
    :func:`evaluate`, for runs with real models).

    Each true person is matched per frame to the tracked box of highest
    IoU (at least :data:`GT_IOU_THR`, one-to-one, greedy); a switch is a
    change of its matched track id (the MOT convention). A frame where a
    person is not matched is not a switch.

    Args:
        results (Sequence[list[dict]]): The tracker's people per frame,
            each with ``bbox`` and ``track_id``.
        gt_frames (Sequence[dict]): ``{'boxes': [[x1, y1, x2, y2], ...]}``
            per frame, persons in the same order in every frame (as
            ``make_pan_video.py`` writes them).

    Returns:
        tuple[int, float]: Switches, and the fraction of (frame, person)
        pairs matched to a track.
    """
    last, switches, matched, total = {}, 0, 0, 0
    for people, gt in zip(results, gt_frames):
        gt_boxes = np.asarray(gt['boxes'], np.float32).reshape(-1, 4)
        total += len(gt_boxes)
        if not people or not len(gt_boxes):
            continue
        boxes = np.stack([p['bbox'] for p in people])
        for person, track in greedy_match(
                box_iou(gt_boxes, boxes), GT_IOU_THR):
            track_id = people[track]['track_id']
            switches += person in last and last[person] != track_id
            last[person] = track_id
            matched += 1
    return switches, matched / max(total, 1)
