"""The per-frame work of the top-down demo: detect people, estimate their
keypoints, draw them with MMPose's ``PoseLocalVisualizer`` (see
:class:`~levitpose.visualization.LEViTPoseVisualizer`)."""
import itertools
import sys
from typing import Callable, Tuple

import numpy as np

from ..apis.device import check_device
from ..apis.pose_model import init_pose_model
from .detectors import HOGPersonDetector, MMDetPersonDetector
from .options import DemoOptions

__all__ = ['TopdownDemo', 'UNTRAINED_WARNING']

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

        If the detector finds nobody, the whole image is used as one box
        with ``bbox_score`` 0 (MMPose's ``inference_topdown`` does the same
        with score 1; 0 marks that no detector found it).

        Returns:
            tuple[PoseDataSample, bool]: The merged prediction and whether
            the whole image was used.
        """
        from mmpose.apis import inference_topdown
        from mmpose.structures import merge_data_samples

        boxes, scores = self.detector(img)
        whole_image = len(boxes) == 0
        if whole_image:
            height, width = img.shape[:2]
            boxes = np.array([[0, 0, width, height]], np.float32)
            scores = np.zeros(1, np.float32)
        sample = merge_data_samples(inference_topdown(self.model, img, boxes))
        sample.pred_instances.bbox_scores = scores
        return sample, whole_image

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
        return np.ascontiguousarray(self.visualizer.get_image()[..., ::-1])

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
