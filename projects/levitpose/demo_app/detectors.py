"""Person detectors for the top-down demo: MMDetection models, and an
offline fallback (OpenCV's HOG people detector) that needs no weights."""
from typing import Optional, Tuple

import cv2
import numpy as np

from ..apis.device import check_device
from ..utils.config import config_errors, load_config
from ..utils.errors import InvalidInputError
from ..utils.strict_load import load_weights_strictly

__all__ = ['HOGPersonDetector', 'MMDetPersonDetector', 'nms_boxes']


def nms_boxes(boxes: np.ndarray, scores: np.ndarray,
              iou_thr: float) -> np.ndarray:
    """Indices kept by greedy non-maximum suppression.

    Args:
        boxes (np.ndarray): ``(N, 4)`` xyxy boxes.
        scores (np.ndarray): ``(N, )`` scores.
        iou_thr (float): Boxes overlapping a kept one by more are dropped.

    Returns:
        np.ndarray: Kept indices, highest score first.
    """
    from mmpose.evaluation.functional import nms
    if len(boxes) == 0:
        return np.zeros(0, dtype=np.int64)
    dets = np.concatenate([boxes, scores[:, None]], axis=1)
    return np.asarray(nms(dets, iou_thr), dtype=np.int64)


class HOGPersonDetector:
    """OpenCV's HOG + linear SVM people detector (Dalal & Triggs).

    A fallback that works offline with no weights file. It finds upright,
    mostly unoccluded people at least :attr:`MIN_PERSON_HEIGHT` pixels tall
    (images whose short side is under :attr:`MIN_SHORT_SIDE` are upscaled
    first) and misses many others; use an MMDetection detector for real
    work. Scores are the SVM margins mapped to ``(0, 1)`` by a logistic
    function, so margin 0 (the detector's own threshold) is 0.5.

    Args:
        bbox_thr (float): Minimum score kept. Defaults to 0.3.
        nms_thr (float): IoU threshold of the NMS. Defaults to 0.3.
    """
    name = 'OpenCV HOG people detector'
    is_fallback = True
    MIN_PERSON_HEIGHT = 128  # the detection window is 64 x 128 pixels
    MIN_SHORT_SIDE = 600

    def __init__(self, bbox_thr: float = 0.3, nms_thr: float = 0.3) -> None:
        self.bbox_thr = bbox_thr
        self.nms_thr = nms_thr
        self.hog = cv2.HOGDescriptor()
        self.hog.setSVMDetector(cv2.HOGDescriptor_getDefaultPeopleDetector())

    def __call__(self, img: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """Detect people.

        Args:
            img (np.ndarray): ``(H, W, 3)`` BGR image.

        Returns:
            tuple[np.ndarray, np.ndarray]: ``(N, 4)`` xyxy boxes in image
            pixels and ``(N, )`` scores, highest score first.
        """
        scale = max(1., self.MIN_SHORT_SIDE / min(img.shape[:2]))
        resized = img if scale == 1. else cv2.resize(
            img, None, fx=scale, fy=scale, interpolation=cv2.INTER_LINEAR)
        rects, margins = self.hog.detectMultiScale(
            resized, winStride=(4, 4), padding=(16, 16), scale=1.03)
        if len(rects) == 0:
            return np.zeros((0, 4), np.float32), np.zeros(0, np.float32)
        xywh = np.asarray(rects, np.float32).reshape(-1, 4) / scale
        boxes = np.concatenate([xywh[:, :2], xywh[:, :2] + xywh[:, 2:]], 1)
        scores = 1. / (1. + np.exp(-np.asarray(margins, np.float32).ravel()))
        keep = scores > self.bbox_thr
        boxes, scores = boxes[keep], scores[keep]
        keep = nms_boxes(boxes, scores, self.nms_thr)
        return boxes[keep], scores[keep].astype(np.float32)


class MMDetPersonDetector:
    """An MMDetection model, keeping one category (person) above a score.

    The checkpoint is loaded strictly and weights-only, like pose models.

    Args:
        config (str): MMDetection config file.
        checkpoint (str): Its checkpoint file.
        device (str): ``'cpu'`` or ``'cuda:N'``. Defaults to ``'cpu'``.
        cat_id (int): Category index of persons in the detector's classes.
            Defaults to 0 (COCO).
        bbox_thr (float): Minimum score kept. Defaults to 0.3.
        nms_thr (float): IoU threshold of an extra NMS. Defaults to 0.3.
    """
    is_fallback = False

    def __init__(self,
                 config: str,
                 checkpoint: Optional[str],
                 device: str = 'cpu',
                 cat_id: int = 0,
                 bbox_thr: float = 0.3,
                 nms_thr: float = 0.3) -> None:
        from mmdet.apis import init_detector
        from mmpose.utils import adapt_mmdet_pipeline

        if checkpoint is None:
            raise InvalidInputError(
                f'detector config {config} needs --det-checkpoint')
        device = check_device(device)
        cfg = load_config(config)
        if 'model' not in cfg or 'test_dataloader' not in cfg:
            raise InvalidInputError(
                f'config {config} is not an MMDetection config (it needs '
                '"model" and "test_dataloader")')
        cfg = adapt_mmdet_pipeline(cfg)
        with config_errors(f'a detector from config {config}'):
            model = init_detector(cfg, None, device='cpu')
        ckpt = load_weights_strictly(model, checkpoint,
                                     f'detector config {config}')
        meta = ckpt.get('meta', {}).get('dataset_meta')
        if meta:
            model.dataset_meta = meta
        classes = model.dataset_meta.get('classes', ())
        if classes and not 0 <= cat_id < len(classes):
            raise InvalidInputError(
                f'--det-cat-id {cat_id} is out of range: the detector has '
                f'{len(classes)} classes (0 to {len(classes) - 1})')
        self.model = model.to(device).eval()
        self.cat_id = cat_id
        self.bbox_thr = bbox_thr
        self.nms_thr = nms_thr
        self.name = f'MMDetection model {config}'

    def __call__(self, img: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """Detect people; same contract as :meth:`HOGPersonDetector.__call__`.
        """
        from mmdet.apis import inference_detector

        pred = inference_detector(self.model, img).pred_instances.cpu()
        boxes = pred.bboxes.numpy().astype(np.float32)
        scores = pred.scores.numpy().astype(np.float32)
        keep = (pred.labels.numpy() == self.cat_id) & (scores > self.bbox_thr)
        boxes, scores = boxes[keep], scores[keep]
        keep = nms_boxes(boxes, scores, self.nms_thr)
        return boxes[keep], scores[keep]
