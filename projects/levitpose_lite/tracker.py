"""Multi-person pose tracking in video, frame by frame.

:class:`PoseTracker` follows the design of MMDeploy's ``PoseTracker``
(a constant-velocity prediction stands in for its Kalman filter): the
detector runs every ``det_interval``-th frame; in between, and for people
already tracked, each track proposes the box of its predicted confident
keypoints grown by 1.25. Per frame:

1. each live track predicts its keypoints (last keypoints plus the body's
   last per-frame motion, times the frames since) and proposes their box;
2. on detection frames, the detected boxes join the proposals; those
   overlapping no proposal by more than ``merge_iou_thr`` (likely new
   people) are also refined by pose (:mod:`.box_refinement`). No box is
   dropped for its overlap alone: two people who overlap are two poses;
3. one batched ``pose`` call estimates every person of the frame;
4. poses with mostly unconfident keypoints are dropped, and of poses on
   one person (OKS over the keypoints both see above ``dedup_oks_thr``)
   the most complete is kept;
5. poses are matched to tracks (greedily, or optimally per frame) by OKS
   with COCO sigmas against the predicted keypoints, or by box IoU where
   the two poses share fewer than three confident keypoints; a pose
   estimated in a track's own box that matches no track continues that
   track, if nothing else did, for at most ``max_missing`` frames in a
   row, and never starts a track (poses of a weak model that matched
   nothing used to start tracks, each proposing boxes in turn);
6. poses of detected boxes no track claims are compared with the *lost*
   tracks (those unmatched for more than ``max_missing`` frames,
   remembered for ``reid_memory`` frames more) by appearance, a colour
   histogram of the torso (:mod:`.appearance`), where position and size
   are plausible (:data:`REID_MAX_SHIFT`, :data:`REID_MAX_SCALE`); a
   match brings the lost track back with its id (re-identification);
7. matched tracks are updated (keypoints smoothed by a One-Euro filter),
   other poses of detected boxes start tracks with new ids, a track
   unmatched for more than ``max_missing`` consecutive frames is lost,
   and a lost track unmatched for ``reid_memory`` frames more is
   forgotten.

Ids come from a counter that is never reset or reused: a person who
leaves for longer than ``max_missing + reid_memory`` frames, or whom
appearance does not recognise, comes back with a new id.
The tracker needs numpy and OpenCV only; the detector and pose estimator
are callables (:mod:`.detectors`, :class:`~levitpose_lite.TopDownPoseONNX`
or a torch model behind the same contract).
"""
import itertools
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from .appearance import appearance, appearance_similarity
from .box_refinement import (REFINE_PADDING, REFINE_ROUNDS, PoseFn,
                             confident_poses, dedupe_poses, refine_boxes)
from .boxes import (box_iou, clip_boxes, keypoint_areas, keypoints_to_boxes,
                    usable_boxes)
from .matching import MATCHERS, pose_similarity
from .smoothing import OneEuroFilter

__all__ = [
    'PoseTracker', 'Track', 'SMOOTHING', 'DetectorFn', 'REID_MEMORY',
    'REID_THR', 'REID_MAX_SHIFT', 'REID_MAX_SCALE', 'APPEARANCE_MOMENTUM'
]

#: ``detector(image) -> (boxes (N, 4), scores (N, ))``; see
#: :mod:`levitpose_lite.detectors`.
DetectorFn = Callable[[np.ndarray], Tuple[np.ndarray, np.ndarray]]

#: One-Euro parameters for keypoints: a still keypoint is low-passed at
#: ``min_cutoff`` Hz; the cutoff rises by ``beta`` Hz per person height per
#: second of speed (the tracker passes ``speed_scale = 1 / person height``),
#: so fast limbs lag little; ``d_cutoff`` (Hz) smooths the speed estimate.
#: ``beta`` was chosen by measurement (``tools/analysis_tools/track_eval.py
#: --beta`` on the bundled pans, ``docs/demo.md``): with 8 the smoothed
#: keypoints are nearer the truth than the raw ones at every noise level
#: from 1 % to 5 % of the person height, while a still person's jitter is
#: still about halved; the earlier 2 lagged behind a panning camera (worse
#: than raw at 1 %).
SMOOTHING = dict(min_cutoff=1.0, beta=8.0, d_cutoff=1.0)
#: Frames a lost track is remembered for re-identification, after the
#: ``max_missing`` frames it stays active. Chosen by measurement
#: (``tools/analysis_tools/track_eval.py --reid-memory``, ``docs/demo.md``):
#: people who leave the bundled pans come back after 32 to 55 frames; 60
#: was the least memory tried that kept all their ids, 90 (3 s at 30
#: frames/s) leaves a margin and gave the same figures.
REID_MEMORY = 90
#: Least appearance similarity (:func:`.appearance.appearance_similarity`)
#: of a re-identification. Chosen by measurement on the bundled pans: any
#: threshold from 0.3 to 0.5 kept every returning person's id, 0.6 lost
#: three. Different people scored mostly below 0.4 against each other;
#: skiers dressed alike up to 0.7, which colour cannot tell apart: there
#: the position and size gate decides.
REID_THR = 0.4
#: Farthest a returning person's box centre may be from where their track
#: was last seen, in heights of that box. People who left the bundled pans
#: came back within a tenth of their height of where they left (the
#: figures were the same with 0.5, 1 and 2); one height allows for a
#: person who walks on while out of view.
REID_MAX_SHIFT = 1.0
#: Largest ratio between the heights of a returning person's box and of
#: their track's last box (either way).
REID_MAX_SCALE = 2.0
#: Weight of a new descriptor in a track's running appearance (an
#: exponential average, so a frame of occlusion does not replace it).
APPEARANCE_MOMENTUM = 0.1


@dataclass
class Track:
    """One tracked person.

    Args:
        track_id (int): Its id, unique for the tracker's lifetime.
        bbox (np.ndarray): Box (4, ) the last pose was estimated in.
        bbox_score (float): Detector score of the box that started the
            track, or the mean keypoint score of the pose that proposed it.
        keypoints (np.ndarray): Last raw keypoints (K, 2), used to track.
        keypoint_scores (np.ndarray): Their scores (K, ).
        smoothed (np.ndarray): Last smoothed keypoints (K, 2), reported.
        velocity (np.ndarray, optional): Keypoint motion per frame (K, 2)
            between the last two poses. Defaults to None (still).
        missing (int): Consecutive frames without a match.
        smoother (OneEuroFilter, optional): Its keypoint filter.
        appearance (np.ndarray, optional): Running colour histogram of the
            torso (:mod:`.appearance`), for re-identification. Defaults to
            None (none seen yet, or re-identification off).
        guessed (int): Consecutive frames it took the pose estimated in
            its own box for want of a match. Defaults to 0.
    """
    track_id: int
    bbox: np.ndarray
    bbox_score: float
    keypoints: np.ndarray
    keypoint_scores: np.ndarray
    smoothed: np.ndarray
    velocity: Optional[np.ndarray] = None
    missing: int = 0
    smoother: Optional[OneEuroFilter] = field(default=None, repr=False)
    appearance: Optional[np.ndarray] = field(default=None, repr=False)
    guessed: int = 0

    def predicted(self) -> np.ndarray:
        """Keypoints (K, 2) expected in the current frame: the last ones
        moved on at the last velocity for every frame since."""
        if self.velocity is None:
            return self.keypoints
        return self.keypoints + self.velocity * (self.missing + 1)

    def update(self, keypoints: np.ndarray, scores: np.ndarray,
               kpt_thr: float) -> None:
        """Take a new pose; the velocity of every keypoint is the mean
        motion per frame, since the last pose, of the keypoints confident
        in both poses (0 where none is): per-keypoint motion doubles the
        pose noise, its mean over K keypoints does not (with noise of 5 %
        of the person height it turned 16 id switches into none on a
        bundled pan, ``docs/demo.md``).
        """
        both = (scores > kpt_thr) & (self.keypoint_scores > kpt_thr)
        motion = (keypoints - self.keypoints) / (self.missing + 1)
        if both.any():  # the body's motion: noise averaged over keypoints
            motion = np.broadcast_to(motion[both].mean(axis=0), motion.shape)
        self.velocity = np.where(both.any(), motion, 0.).astype(np.float32)
        self.keypoints, self.keypoint_scores = keypoints, scores
        self.missing = 0

    def result(self) -> Dict[str, object]:
        """``track_id``, ``bbox``, ``bbox_score``, ``keypoints`` (the
        smoothed ones) and ``keypoint_scores``."""
        return dict(
            track_id=self.track_id,
            bbox=self.bbox.copy(),
            bbox_score=float(self.bbox_score),
            keypoints=self.smoothed.astype(np.float32),
            keypoint_scores=self.keypoint_scores.copy())


class PoseTracker:
    """Detect, estimate, track and smooth the poses of people in video.

    Args:
        detector (DetectorFn): Person detector.
        pose (PoseFn): Top-down pose estimator, called once per frame with
            all boxes of the frame (plus the refinement calls on frames
            where new people are detected).
        det_interval (int): Run the detector on every this-th frame (frame
            0 included). Defaults to 1.
        max_missing (int): A track unmatched for more than this many
            consecutive frames is lost: it proposes no box and matches no
            pose. Defaults to 10 (as MMDeploy, which drops it then).
        kpt_thr (float): Keypoints scoring above it are confident. Defaults
            to 0.3.
        min_keypoints (int, optional): Fewest confident keypoints of a kept
            pose. Defaults to None (half of them, rounded up).
        merge_iou_thr (float): A detection overlapping a tracked box by
            more is not refined (it is most likely that person; its pose
            decides). Defaults to 0.5.
        oks_thr (float): Least OKS of a match. Defaults to 0.3.
        iou_thr (float): Least box IoU of a match (IoU fallback). Defaults
            to 0.4 (MMDeploy's ``track_iou_thr``).
        dedup_oks_thr (float): Two poses more similar are one person.
            Defaults to 0.8.
        smooth (bool): Smooth keypoints with a One-Euro filter. Defaults to
            True.
        smoothing (dict, optional): :class:`OneEuroFilter` arguments.
            Defaults to None (:data:`SMOOTHING`).
        fps (float): Frame rate, for the filter's time when ``__call__``
            gets no timestamp. Defaults to 30.
        box_refinement (bool): Refine new people's boxes by pose (see
            :mod:`.box_refinement`). Defaults to True.
        refine_padding (float): Defaults to :data:`REFINE_PADDING`.
        refine_rounds (int): Defaults to :data:`REFINE_ROUNDS`.
        sigmas (Sequence[float], optional): OKS sigmas. Defaults to None
            (COCO's for 17 keypoints).
        batched (bool): One ``pose`` call for all people of a frame; False
            calls it once per person (for comparison only). Defaults to
            True.
        matching (str): ``'greedy'`` (most similar pairs first) or
            ``'hungarian'`` (globally optimal per frame; needs SciPy).
            Defaults to ``'greedy'``: on the bundled pans the two gave the
            same figures (``docs/demo.md``).
        reid_memory (int): Frames a lost track is remembered, after
            ``max_missing``, for a returning person to take its id back
            by appearance; 0 forgets it at once (as MMDeploy). Defaults to
            :data:`REID_MEMORY`.
        reid_thr (float): Least appearance similarity, in [0, 1], of a
            returning person to their lost track. Defaults to
            :data:`REID_THR`.
    """

    def __init__(self,
                 detector: DetectorFn,
                 pose: PoseFn,
                 det_interval: int = 1,
                 max_missing: int = 10,
                 kpt_thr: float = 0.3,
                 min_keypoints: Optional[int] = None,
                 merge_iou_thr: float = 0.5,
                 oks_thr: float = 0.3,
                 iou_thr: float = 0.4,
                 dedup_oks_thr: float = 0.8,
                 smooth: bool = True,
                 smoothing: Optional[dict] = None,
                 fps: float = 30.,
                 box_refinement: bool = True,
                 refine_padding: float = REFINE_PADDING,
                 refine_rounds: int = REFINE_ROUNDS,
                 sigmas: Optional[Sequence[float]] = None,
                 batched: bool = True,
                 matching: str = 'greedy',
                 reid_memory: int = REID_MEMORY,
                 reid_thr: float = REID_THR) -> None:
        for name, value in (('det_interval', det_interval),
                            ('max_missing', max_missing), ('reid_memory',
                                                           reid_memory)):
            least = 1 if name == 'det_interval' else 0
            if not isinstance(value, int) or value < least:
                raise ValueError(f'{name} must be an int >= {least}, got '
                                 f'{value!r}')
        if not fps > 0:
            raise ValueError(f'fps must be > 0, got {fps!r}')
        if not 0 <= reid_thr <= 1:
            raise ValueError(f'reid_thr must be in [0, 1], got {reid_thr!r}')
        if matching not in MATCHERS:
            raise ValueError(f'matching must be one of {sorted(MATCHERS)}, '
                             f'got {matching!r}')
        self.match = MATCHERS[matching]
        self.smoothing = dict(SMOOTHING if smoothing is None else smoothing)
        OneEuroFilter(**self.smoothing)  # validate now, not on frame 1
        # the settings, by the steps of the module docstring that read them
        self.detector, self.pose, self.batched = detector, pose, batched
        # 1-2: where to look (detection frames, refinement of new people)
        self.det_interval, self.box_refinement = det_interval, box_refinement
        self.merge_iou_thr = merge_iou_thr
        self.refine_padding, self.refine_rounds = refine_padding, refine_rounds
        # 4-5: which poses count, and whose they are
        self.kpt_thr, self.min_keypoints = kpt_thr, min_keypoints
        self.dedup_oks_thr, self.sigmas = dedup_oks_thr, sigmas
        self.oks_thr, self.iou_thr = oks_thr, iou_thr
        # 6-7: how long a track lives, is remembered, and how it is smoothed
        self.max_missing, self.reid_memory = max_missing, reid_memory
        self.reid_thr = reid_thr
        self.smooth, self.fps = smooth, float(fps)
        self.tracks: List[Track] = []
        #: Lost tracks, kept for re-identification.
        self.lost: List[Track] = []
        self.frame_index = 0
        self._ids = itertools.count()

    def estimate(self, image: np.ndarray,
                 boxes: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """``pose`` on all ``boxes``: one call, or one per box when not
        :attr:`batched`."""
        if self.batched:
            return self.pose(image, boxes)
        results = [self.pose(image, box[None]) for box in boxes]
        return (np.concatenate([r[0] for r in results]),
                np.concatenate([r[1] for r in results]))

    def _smoother(self) -> Optional[OneEuroFilter]:
        """A fresh keypoint filter for a new or returning track (None when
        not :attr:`smooth`)."""
        return OneEuroFilter(**self.smoothing) if self.smooth else None

    def _proposals(self, width: int,
                   height: int) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The tracks' boxes for this frame (from their last keypoints,
        within the image; tracks whose box left it propose none), their
        scores (the mean keypoint score of the last pose) and the index in
        :attr:`tracks` of the track that proposed each."""
        boxes = np.zeros((len(self.tracks), 4), np.float32)
        for i, track in enumerate(self.tracks):
            box, valid = keypoints_to_boxes(track.predicted()[None],
                                            track.keypoint_scores[None],
                                            self.kpt_thr)
            boxes[i] = box[0] if valid[0] else track.bbox
        scores = np.array([tr.keypoint_scores.mean() for tr in self.tracks],
                          np.float32)
        boxes = clip_boxes(boxes, width, height)
        usable = usable_boxes(boxes)
        return boxes[usable], scores[usable], np.flatnonzero(usable)

    def _new_people(self, image: np.ndarray,
                    proposals: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """The detected boxes (clipped, usable) and their detector scores.

        No box is dropped for its overlap: whether a detection is a
        tracked person, or two detections one person, is decided on their
        poses (:meth:`_select`). Boxes overlapping no tracked box by more
        than ``merge_iou_thr`` (people likely new) are refined, as the
        first candidates (refinement costs two pose calls, so tracked
        people are not refined), followed by all detected boxes as they
        came.
        """
        height, width = image.shape[:2]
        boxes, scores = self.detector(image)
        boxes = clip_boxes(np.asarray(boxes, np.float32), width, height)
        scores = np.asarray(scores, np.float32).reshape(-1)
        usable = usable_boxes(boxes)
        boxes, scores = boxes[usable], scores[usable]
        if self.box_refinement and len(boxes):
            fresh = np.ones(len(boxes), bool)
            if len(proposals):
                fresh = box_iou(boxes, proposals).max(1) <= self.merge_iou_thr
            if fresh.any():
                refined = refine_boxes(image, boxes[fresh],
                                       lambda img, b: self.estimate(img, b),
                                       self.kpt_thr, self.refine_padding,
                                       self.refine_rounds)
                # the padded box may take in a neighbour and slide onto
                # them: the unrefined box stays a candidate too
                boxes = np.concatenate([refined, boxes])
                scores = np.concatenate([scores[fresh], scores])
        return boxes, scores

    def __call__(self,
                 image: np.ndarray,
                 timestamp: Optional[float] = None) -> List[Dict[str, object]]:
        """Track the people of the next frame.

        Args:
            image (np.ndarray): BGR frame (H, W, 3), uint8.
            timestamp (float, optional): Its time in seconds (must
                increase). Defaults to None (``frame_index / fps``).

        Returns:
            list[dict]: One dict per person seen in this frame, by
            ``track_id``: ``track_id`` (int), ``bbox`` (4, ) ``(x1, y1, x2,
            y2)``, ``bbox_score`` (float), ``keypoints`` (K, 2) (smoothed
            if :attr:`smooth`) and ``keypoint_scores`` (K, ).
        """
        image = np.asarray(image)
        if image.ndim != 3 or image.shape[2] != 3:
            raise ValueError('image must have shape (H, W, 3), got '
                             f'{image.shape}')
        t = self.frame_index / self.fps if timestamp is None else timestamp
        detect = self.frame_index % self.det_interval == 0
        self.frame_index += 1
        height, width = image.shape[:2]
        proposals, proposal_scores, proposers = self._proposals(width, height)
        new_boxes, new_scores = (
            self._new_people(image, proposals) if detect else (np.zeros(
                (0, 4), np.float32), np.zeros(0, np.float32)))
        boxes = np.concatenate([proposals, new_boxes])
        box_scores = np.concatenate([proposal_scores, new_scores])
        if len(boxes):
            keypoints, scores = self.estimate(image, boxes)
            keep = self._select(keypoints, scores, boxes, len(proposals))
        else:
            keep = np.zeros(0, np.int64)
        if len(keep) == 0:
            updated = []
        else:
            updated = self._update(
                image,
                np.asarray(keypoints, np.float32)[keep],
                np.asarray(scores, np.float32)[keep], boxes[keep],
                box_scores[keep],
                np.concatenate([proposers,
                                [-1] * len(new_boxes)]).astype(int)[keep], t)
        self._age(updated)
        return [track.result() for track in updated]

    def _select(self, keypoints: np.ndarray, scores: np.ndarray,
                boxes: np.ndarray, num_proposals: int) -> np.ndarray:
        """Indices of confident poses, one per person: of poses on one
        person the most complete (most confident keypoints, then the
        tracked one, then the highest mean score) is kept; matching then
        gives it the person's track id."""
        confident = np.flatnonzero(
            confident_poses(scores, self.kpt_thr, self.min_keypoints))
        counts = (scores[confident] > self.kpt_thr).sum(axis=1)
        order = np.lexsort((-scores[confident].mean(axis=1), confident
                            >= num_proposals, -counts))
        return dedupe_poses(keypoints, scores, boxes, confident[order],
                            self.kpt_thr, self.dedup_oks_thr, self.sigmas)

    def _update(self, image: np.ndarray, keypoints: np.ndarray,
                scores: np.ndarray, boxes: np.ndarray, box_scores: np.ndarray,
                proposers: np.ndarray, t: float) -> List[Track]:
        """Match poses to tracks; give a pose no track matched to the
        track whose box it was estimated in (``proposers``, -1 for
        detected boxes), if that track is unmatched and has guessed so
        for fewer than ``max_missing`` frames in a row; match the rest of
        the detected boxes' poses to lost tracks; update them all, and
        start new tracks from the detected boxes' other poses.

        A pose estimated in a track's own box never starts a track: when
        it matched neither that track nor another, it is that person
        estimated badly (noise of 5 % of the person height did so on the
        bundled pans: continuing the track there turned 11 id switches
        into 1), or a neighbour the box slid onto, who is tracked from
        their own box or waits for the next detection. Starting tracks
        from such poses let a weak pose model multiply tracks, each
        proposing a box in the next frame (the sample checkpoint at
        ``kpt_thr`` 0.1 grew to over a thousand tracks in 25 frames of the
        bundled CrowdPose pan; starting them only where the box's own
        track matched another pose still gave 175 in 30 frames, against
        about 40 now).
        """
        if self.tracks:
            ref_keypoints = np.stack([tr.predicted() for tr in self.tracks])
            ref_scores = np.stack([tr.keypoint_scores for tr in self.tracks])
            ref_boxes = np.stack([tr.bbox for tr in self.tracks])
            similarity, is_oks = pose_similarity(
                ref_keypoints,
                ref_scores,
                ref_boxes,
                keypoints,
                scores,
                boxes,
                self.kpt_thr,
                self.sigmas,
                ref_areas=keypoint_areas(ref_keypoints, ref_scores,
                                         self.kpt_thr, ref_boxes))
            pairs = self.match(similarity,
                               np.where(is_oks, self.oks_thr, self.iou_thr))
        else:
            pairs = []
        matched = {col: self.tracks[row] for row, col in pairs}
        taken = {row for row, _ in pairs}
        for track in matched.values():
            track.guessed = 0
        for i in np.flatnonzero(proposers >= 0):
            track = self.tracks[proposers[i]]
            if (i in matched or proposers[i] in taken
                    or track.guessed >= self.max_missing):
                continue
            matched[int(i)] = track
            taken.add(proposers[i])
            track.guessed += 1
        looks = [None] * len(keypoints)
        if self.reid_memory > 0:
            looks = [
                appearance(image, keypoints[i], scores[i], boxes[i],
                           self.kpt_thr) for i in range(len(keypoints))
            ]
            claimed = set(matched) | set(np.flatnonzero(proposers >= 0))
            matched.update(self._reidentify(looks, boxes, claimed))
        updated = []
        for i in range(len(keypoints)):
            track = matched.get(i)
            if track is None and proposers[i] >= 0:
                continue
            if track is None:
                track = Track(
                    next(self._ids),
                    boxes[i],
                    float(box_scores[i]),
                    keypoints[i],
                    scores[i],
                    keypoints[i],
                    smoother=self._smoother())
                self.tracks.append(track)
            track.bbox, track.bbox_score = boxes[i], float(box_scores[i])
            track.update(keypoints[i], scores[i], self.kpt_thr)
            if looks[i] is not None:
                track.appearance = looks[i] if track.appearance is None else (
                    (1 - APPEARANCE_MOMENTUM) * track.appearance +
                    APPEARANCE_MOMENTUM * looks[i])
            track.smoothed = keypoints[i]
            if track.smoother is not None:
                height = max(float(boxes[i, 3] - boxes[i, 1]), 1.)
                track.smoothed = track.smoother(
                    keypoints[i], t, speed_scale=1. / height)
            updated.append(track)
        return sorted(updated, key=lambda tr: tr.track_id)

    def _reidentify(self, looks: List[Optional[np.ndarray]], boxes: np.ndarray,
                    claimed: set) -> Dict[int, Track]:
        """``{pose index: lost track}`` for poses no active track claimed
        (not in ``claimed``) whose appearance ``looks`` matches a lost
        track's by at least ``reid_thr``, where their box is plausible for
        that person: centre within :data:`REID_MAX_SHIFT` heights of the
        track's last box, height within a factor :data:`REID_MAX_SCALE`.
        The tracks matched leave :attr:`lost` for :attr:`tracks`, with a
        fresh motion and smoothing state (their last ones are stale)."""
        free = [
            i for i in range(len(looks))
            if i not in claimed and looks[i] is not None
        ]
        if not free or not self.lost:
            return {}
        similarity = np.zeros((len(self.lost), len(free)), np.float32)
        plausible = np.zeros(similarity.shape, bool)
        for row, track in enumerate(self.lost):
            last = track.bbox
            height = max(float(last[3] - last[1]), 1.)
            for col, i in enumerate(free):
                box = boxes[i]
                shift = np.hypot(*(
                    (box[:2] + box[2:] - last[:2] - last[2:]) / 2)) / height
                scale = max(float(box[3] - box[1]), 1.) / height
                plausible[row, col] = (
                    shift <= REID_MAX_SHIFT
                    and 1 / REID_MAX_SCALE <= scale <= REID_MAX_SCALE)
                if plausible[row, col]:
                    similarity[row, col] = appearance_similarity(
                        track.appearance, looks[i])
        found = {}
        for row, col in self.match(similarity,
                                   np.where(plausible, self.reid_thr, np.inf)):
            track = self.lost[row]
            track.velocity = None
            track.keypoint_scores = np.zeros_like(track.keypoint_scores)
            track.smoother = self._smoother()
            found[free[col]] = track
        revived = {id(track) for track in found.values()}
        self.lost = [tr for tr in self.lost if id(tr) not in revived]
        self.tracks.extend(found.values())
        return found

    def _age(self, updated: List[Track]) -> None:
        """Count a missed frame for tracks not updated; tracks missing for
        more than ``max_missing`` frames are lost (kept for
        re-identification if they have an appearance), lost ones missing
        for ``reid_memory`` frames more are forgotten."""
        seen = {id(track) for track in updated}
        for track in itertools.chain(self.tracks, self.lost):
            if id(track) not in seen:
                track.missing += 1
        active = [tr for tr in self.tracks if tr.missing <= self.max_missing]
        lost = [
            tr for tr in self.tracks
            if tr.missing > self.max_missing and tr.appearance is not None
        ]
        self.tracks = active
        self.lost = [
            tr for tr in self.lost + lost
            if tr.missing <= self.max_missing + self.reid_memory
        ]
