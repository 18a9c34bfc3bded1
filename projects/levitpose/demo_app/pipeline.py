"""The per-frame work of the top-down demo: detect people, estimate their
keypoints, draw them with MMPose's ``PoseLocalVisualizer`` (see
:class:`~levitpose.visualization.LEViTPoseVisualizer`).

People are found by :mod:`levitpose_lite`'s code, shared with the lean
runtime: pose-guided box refinement
(:func:`levitpose_lite.box_refinement.refined_people`: boxes refined by
pose, unconfident poses dropped) for images, and
:class:`levitpose_lite.tracker.PoseTracker` (ids, detection interval,
One-Euro smoothing) for videos; the pose model behind them is this
package's PyTorch model, all people of a frame in one batched call.
"""
import functools
import itertools
import sys
from typing import Callable, Dict, List, Optional, Tuple

import cv2
import numpy as np

from levitpose_lite.box_refinement import refined_people
from levitpose_lite.boxes import clip_boxes, usable_boxes
from levitpose_lite.tracker import PoseTracker
from ..apis.device import check_device
from ..apis.pose_model import inference_topdown_keypoints, init_pose_model
from .detectors import (HOGPersonDetector, MMDetPersonDetector,
                        VideoHOGPersonDetector)
from .options import DemoOptions

__all__ = [
    'TopdownDemo', 'UNTRAINED_WARNING', 'people_arrays', 'instance_dicts',
    'draw_track_ids'
]

UNTRAINED_WARNING = (
    'no pose checkpoint given: the model runs with its initial (untrained) '
    'weights, so the keypoints are meaningless until a checkpoint is given '
    '(--pose-checkpoint)')
_visualizer_ids = itertools.count()


class TopdownDemo:
    """Detector + pose model + visualizer, built once, run per frame.

    Args:
        opts (DemoOptions): The options, with ``pose_config`` resolved
            (:func:`~levitpose.demo_app.resolve_pose_model`).
        log (Callable[[str], None]): Where progress lines go. Defaults to
            :func:`print`.
    """

    def __init__(self,
                 opts: DemoOptions,
                 log: Callable[[str], None] = print) -> None:
        from ..visualization import LEViTPoseVisualizer

        self.opts = opts
        self.log = log
        device = check_device(opts.device)
        if opts.det_config is None:
            self.detector = HOGPersonDetector(opts.bbox_thr, opts.nms_thr)
        else:
            self.detector = MMDetPersonDetector(opts.det_config,
                                                opts.det_checkpoint, device,
                                                opts.det_cat_id, opts.bbox_thr,
                                                opts.nms_thr)
        cfg_options = dict(model=dict(test_cfg=dict(
            output_heatmaps=True))) if opts.draw_heatmap else None
        self.model = init_pose_model(opts.pose_config, opts.pose_checkpoint,
                                     device, cfg_options)
        if device == 'cpu':  # freed activations reused, not re-faulted
            from ..deploy.allocator import keep_freed_memory
            keep_freed_memory()
        # (image, boxes (N, 4)) -> keypoints (N, K, 2), scores (N, K): one
        # batched forward pass for all boxes
        self.pose = functools.partial(inference_topdown_keypoints, self.model)
        self.visualizer = LEViTPoseVisualizer(
            name=f'levitpose_demo_{next(_visualizer_ids)}',
            radius=opts.radius,
            line_width=opts.thickness,
            alpha=opts.alpha)
        self.visualizer.set_dataset_meta(self.model.dataset_meta)
        fallback = (' (the built-in offline fallback: it misses many '
                    'people; pass --det-config and --det-checkpoint for an '
                    'MMDetection detector)') if self.detector.is_fallback \
            else ''
        log(f'person detector: {self.detector.name}{fallback}')
        log(f'pose model: {opts.pose_config}')
        if opts.pose_checkpoint is None:
            self.weights = 'initial (untrained): keypoints are meaningless'
            print(f'warning: {UNTRAINED_WARNING}', file=sys.stderr)
        else:
            self.weights = opts.pose_checkpoint + (
                f' ({opts.pose_checkpoint_note})'
                if opts.pose_checkpoint_note else '')
            log(f'pose checkpoint: {self.weights}')

    def estimate(self, img: np.ndarray) -> Tuple[object, bool]:
        """Detect people in a BGR image and estimate their keypoints.

        Detected boxes get pose-guided box refinement (unless
        ``no_box_refinement``): each is refined by pose, and people whose
        keypoints are mostly below ``kpt_thr`` are dropped, so each person
        is reported once with a skeleton spanning them. If the detector
        finds nobody (or only boxes empty once clipped to the image), the
        whole image is used as one box with ``bbox_score`` 0 (MMPose's
        ``inference_topdown`` does the same with score 1; 0 marks that no
        detector found it).

        Returns:
            tuple[PoseDataSample, bool]: The merged prediction and whether
            the whole image was used.
        """
        height, width = img.shape[:2]
        boxes, scores = self.detector(img)
        boxes = clip_boxes(boxes, width, height)
        usable = usable_boxes(boxes)  # boxes with something inside
        boxes, scores = boxes[usable], np.asarray(scores)[usable]
        whole_image = len(boxes) == 0
        if whole_image:
            boxes = np.array([[0, 0, width, height]], np.float32)
            scores = np.zeros(1, np.float32)
        if whole_image or self.opts.no_box_refinement:
            keypoints, keypoint_scores = self.pose(img, boxes)
            people = dict(
                bboxes=boxes,
                bbox_scores=scores,
                keypoints=keypoints,
                keypoint_scores=keypoint_scores)
        else:
            people = refined_people(
                img,
                boxes,
                self.pose,
                scores,
                kpt_thr=self.opts.kpt_thr,
                sigmas=self.model.dataset_meta.get('sigmas'))
        return self.sample(img, people), whole_image

    def tracker(self, fps: float) -> PoseTracker:
        """A new tracker for one video (see
        :class:`levitpose_lite.tracker.PoseTracker`) with this demo's
        detector (the fallback with its video settings,
        :class:`~.detectors.VideoHOGPersonDetector`), pose model and
        options."""
        detector = self.detector
        if detector.is_fallback:
            detector = VideoHOGPersonDetector(self.opts.bbox_thr,
                                              self.opts.nms_thr)
        return PoseTracker(
            detector,
            self.pose,
            det_interval=self.opts.video_det_interval(),
            kpt_thr=self.opts.kpt_thr,
            smooth=not self.opts.no_smooth,
            fps=fps,
            box_refinement=not self.opts.no_box_refinement,
            sigmas=self.model.dataset_meta.get('sigmas'))

    def sample(self,
               img: np.ndarray,
               people: Dict[str, np.ndarray],
               track_ids: Optional[List[int]] = None):
        """A ``PoseDataSample`` holding ``people`` (arrays named as
        ``pred_instances`` fields), and their ``track_ids`` if given. With
        ``draw_heatmap``, the heatmaps of the people's boxes are added
        (one more batched pose call)."""
        from mmengine.structures import InstanceData
        from mmpose.apis import inference_topdown
        from mmpose.structures import PoseDataSample, merge_data_samples

        num_keypoints = self.model.dataset_meta['num_keypoints']
        instances = InstanceData(
            bboxes=np.asarray(people['bboxes'], np.float32).reshape(-1, 4),
            bbox_scores=np.asarray(people['bbox_scores'], np.float32),
            keypoints=np.asarray(people['keypoints'],
                                 np.float32).reshape(-1, num_keypoints, 2),
            keypoint_scores=np.asarray(people['keypoint_scores'],
                                       np.float32).reshape(-1, num_keypoints))
        if track_ids is not None:
            instances.track_ids = np.asarray(track_ids, np.int64)
        sample = PoseDataSample()
        if self.opts.draw_heatmap and len(instances):
            sample = merge_data_samples(
                inference_topdown(self.model, img, instances.bboxes))
        sample.pred_instances = instances
        return sample

    def track(self, tracker: PoseTracker, img: np.ndarray):
        """The ``PoseDataSample`` of the next video frame, with track ids.
        """
        people = tracker(img)
        return self.sample(
            img, people_arrays(people,
                               self.model.dataset_meta['num_keypoints']),
            [p['track_id'] for p in people])

    def draw(self, img: np.ndarray, sample) -> np.ndarray:
        """Draw a prediction on a BGR image; returns a BGR image."""
        self.visualizer.add_datasample(
            'result',
            np.ascontiguousarray(img[..., ::-1]),
            data_sample=sample,
            draw_gt=False,
            draw_heatmap=self.opts.draw_heatmap,
            draw_bbox=self.opts.draw_bbox,
            skeleton_style='mmpose',
            show=False,
            kpt_thr=self.opts.kpt_thr)
        drawn = np.ascontiguousarray(self.visualizer.get_image()[..., ::-1])
        instances = sample.pred_instances
        if 'track_ids' in instances:
            draw_track_ids(drawn, instances.bboxes, instances.track_ids)
        return drawn

    def show(self, drawn: np.ndarray, wait_ms: int) -> None:
        """Show a drawn frame in a window."""
        import cv2
        cv2.imshow('LEViTPose demo', drawn)
        cv2.waitKey(wait_ms)

    def predictions(self, instance_info, no_person: list,
                    unreadable: list) -> dict:
        """MMPose's prediction JSON, plus ``demo_info`` on how it was made.
        """
        return dict(
            meta_info=self.model.dataset_meta,
            instance_info=instance_info,
            demo_info=dict(
                pose_config=self.opts.pose_config,
                pose_weights=self.weights,
                untrained=self.opts.pose_checkpoint is None,
                detector=self.detector.name,
                detector_is_fallback=self.detector.is_fallback,
                whole_image_box_used_for=no_person,
                unreadable=unreadable))


def people_arrays(people: List[dict],
                  num_keypoints: int) -> Dict[str, np.ndarray]:
    """Stack :class:`~levitpose_lite.tracker.PoseTracker` results into the
    arrays :meth:`TopdownDemo.sample` takes."""
    return dict(
        bboxes=np.array([p['bbox'] for p in people],
                        np.float32).reshape(-1, 4),
        bbox_scores=np.array([p['bbox_score'] for p in people], np.float32),
        keypoints=np.array([p['keypoints'] for p in people],
                           np.float32).reshape(-1, num_keypoints, 2),
        keypoint_scores=np.array([p['keypoint_scores'] for p in people],
                                 np.float32).reshape(-1, num_keypoints))


def instance_dicts(sample) -> List[dict]:
    """MMPose's per-person dicts of a sample (``split_instances``), each
    with its ``track_id`` when the sample has track ids."""
    from mmpose.structures import split_instances
    instances = split_instances(sample.pred_instances)
    if instances and 'track_ids' in sample.pred_instances:
        for instance, track_id in zip(instances,
                                      sample.pred_instances.track_ids):
            instance['track_id'] = int(track_id)
    return instances


def draw_track_ids(drawn: np.ndarray, bboxes: np.ndarray,
                   track_ids: np.ndarray) -> None:
    """Write each person's track id above the top-left corner of its box
    (inside the image), in place: white on a black outline, readable on
    any background."""
    height, width = drawn.shape[:2]
    scale = max(0.5, min(width, height) / 600)
    font = cv2.FONT_HERSHEY_SIMPLEX
    for box, track_id in zip(bboxes, track_ids):
        text = f'id {int(track_id)}'
        (text_w, text_h), _ = cv2.getTextSize(text, font, scale, 4)
        x = int(np.clip(box[0], 0, max(width - text_w, 0)))
        y = int(np.clip(box[1] - 4, text_h + 4, height - 1))
        for color, thickness in (((0, 0, 0), 4), ((255, 255, 255), 1)):
            cv2.putText(drawn, text, (x, y), font, scale, color, thickness,
                        cv2.LINE_AA)
