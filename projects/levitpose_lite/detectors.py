"""Person detectors for the lite runtime (numpy + OpenCV + ONNX Runtime).

A person detector is any callable ``detector(image) -> (boxes, scores)``
taking a BGR ``(H, W, 3)`` uint8 image and returning ``(N, 4)`` float32
``(x1, y1, x2, y2)`` boxes in image pixels and ``(N, )`` float32 scores,
highest score first. Two are provided:

- :class:`ONNXPersonDetector`: an MMDetection detector (RTMDet, YOLOX)
  exported to ONNX, e.g. by MMDeploy's ``tools/deploy.py`` with an
  ``detection_onnxruntime_static.py`` deploy config ("end2end" model).
- :class:`HOGFallbackPersonDetector`: OpenCV's HOG people detector, an
  offline fallback that needs no weights file and misses many people.
"""
import os.path as osp
from typing import Optional, Sequence, Tuple

import cv2
import numpy as np

from .backends import ort_session
from .boxes import clip_boxes, nms

__all__ = [
    'ONNXPersonDetector', 'HOGFallbackPersonDetector', 'RTMDET_MEAN',
    'RTMDET_STD', 'letterbox'
]

#: RTMDet's data preprocessor (BGR order, no channel swap).
RTMDET_MEAN = (103.53, 116.28, 123.675)
RTMDET_STD = (57.375, 57.12, 58.395)
#: MMDetection's ``Pad`` value in RTMDet/YOLOX test pipelines.
PAD_VALUE = 114


def _empty() -> Tuple[np.ndarray, np.ndarray]:
    return np.zeros((0, 4), np.float32), np.zeros(0, np.float32)


def letterbox(image: np.ndarray,
              size: Sequence[int],
              pad_value: int = PAD_VALUE) -> Tuple[np.ndarray, np.ndarray]:
    """Resize keeping the aspect ratio to fit ``size`` and pad the bottom
    and right, as MMDetection's ``Resize(keep_ratio=True)`` + ``Pad``.

    Args:
        image (np.ndarray): Image (H, W, 3).
        size (Sequence[int]): Model input ``(w, h)``.
        pad_value (int): Fill of the padding. Defaults to 114.

    Returns:
        tuple: the padded image (h, w, 3) and the per-axis scale factor
        ``(sx, sy)`` from image to model pixels.
    """
    w, h = size
    height, width = image.shape[:2]
    ratio = min(w / width, h / height)
    new_w, new_h = int(width * ratio + 0.5), int(height * ratio + 0.5)
    resized = cv2.resize(image, (new_w, new_h), interpolation=cv2.INTER_LINEAR)
    padded = np.full((h, w, 3), pad_value, dtype=image.dtype)
    padded[:new_h, :new_w] = resized
    return padded, np.array([new_w / width, new_h / height], np.float32)


class ONNXPersonDetector:
    """A person detector exported from MMDetection to ONNX.

    Expected model (what MMDeploy's end-to-end ONNX export of RTMDet or
    YOLOX produces):

    - input: one float32 tensor ``(1, 3, h, w)``, fixed ``h`` and ``w`` (a
      static export): the image resized keeping its aspect ratio and padded
      bottom-right with 114 (:func:`letterbox`), then normalised
      ``(x - mean) / std`` in the channel order of ``bgr_to_rgb``;
    - outputs: ``dets`` ``(1, N, 5)`` float32 ``(x1, y1, x2, y2, score)``
      in model-input pixels and ``labels`` ``(1, N)`` int class indices.
      Outputs named otherwise are taken in that order. Any NMS inside the
      model is kept; ``bbox_thr``, the class filter and an NMS are applied
      here again (so an export without NMS works too), after clipping
      boxes to the image and dropping empty or inverted ones.

    Args:
        onnx_path (str): The ONNX file.
        cat_id (int): Class index of persons. Defaults to 0 (COCO).
        bbox_thr (float): Least score kept. Defaults to 0.3.
        nms_thr (float): IoU threshold of the NMS. Defaults to 0.3.
        mean (Sequence[float]): Normalisation mean. Defaults to
            :data:`RTMDET_MEAN` (YOLOX: ``(0, 0, 0)``).
        std (Sequence[float]): Normalisation std. Defaults to
            :data:`RTMDET_STD` (YOLOX: ``(1, 1, 1)``).
        bgr_to_rgb (bool): Swap channels before normalising. Defaults to
            False (RTMDet and YOLOX take BGR).
        device (str): ``'cpu'`` or ``'cuda'``. Defaults to ``'cpu'``.
        num_threads (int, optional): ONNX Runtime intra-op threads.
            Defaults to None.
    """
    is_fallback = False

    def __init__(self,
                 onnx_path: str,
                 cat_id: int = 0,
                 bbox_thr: float = 0.3,
                 nms_thr: float = 0.3,
                 mean: Sequence[float] = RTMDET_MEAN,
                 std: Sequence[float] = RTMDET_STD,
                 bgr_to_rgb: bool = False,
                 device: str = 'cpu',
                 num_threads: Optional[int] = None) -> None:
        self.session = ort_session(onnx_path, device, num_threads)
        inputs, outputs = self.session.get_inputs(), self.session.get_outputs()
        shape = inputs[0].shape if len(inputs) == 1 else None
        if shape is None or len(shape) != 4 or shape[1] != 3 or \
                not all(isinstance(v, int) for v in shape[2:]):
            got = [(i.name, i.shape) for i in inputs]
            raise ValueError(f'{onnx_path!r} is not a static detector '
                             f'export: expected one (1, 3, h, w) input, got '
                             f'{got}')
        names = [o.name for o in outputs]
        if len(names) < 2:
            raise ValueError(f'{onnx_path!r}: expected outputs dets (1, N, '
                             f'5) and labels (1, N), got {names}')
        named = {'dets', 'labels'} <= set(names)
        self.output_names = ['dets', 'labels'] if named else names[:2]
        self.input_name = inputs[0].name
        self.input_size = (shape[3], shape[2])  # (w, h)
        self.cat_id = cat_id
        self.bbox_thr = bbox_thr
        self.nms_thr = nms_thr
        self.mean = np.asarray(mean, np.float32)
        self.inv_std = 1. / np.asarray(std, np.float32)
        self.bgr_to_rgb = bgr_to_rgb
        self.name = f'ONNX person detector {osp.basename(onnx_path)}'

    def preprocess(self, image: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """The model input (1, 3, h, w) and the image-to-input scale."""
        padded, scale = letterbox(image, self.input_size)
        if self.bgr_to_rgb:
            padded = padded[..., ::-1]
        x = (padded.astype(np.float32) - self.mean) * self.inv_std
        return x.transpose(2, 0, 1)[None], scale

    def __call__(self, image: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """Detect people; see the module docstring for the contract."""
        image = np.asarray(image)
        if image.ndim != 3 or image.shape[2] != 3:
            raise ValueError('image must have shape (H, W, 3), got '
                             f'{image.shape}')
        x, scale = self.preprocess(image)
        dets, labels = self.session.run(self.output_names,
                                        {self.input_name: x})
        dets = np.asarray(dets, np.float32).reshape(-1, 5)
        labels = np.asarray(labels).reshape(-1)
        keep = (labels == self.cat_id) & (dets[:, 4] > self.bbox_thr)
        boxes, scores = dets[keep, :4] / np.tile(scale, 2), dets[keep, 4]
        height, width = image.shape[:2]
        boxes = clip_boxes(boxes, width, height)
        # as MMDetection's min_bbox_size=0: drop empty and inverted boxes
        valid = (boxes[:, 2:] > boxes[:, :2]).all(axis=1)
        boxes, scores = boxes[valid], scores[valid]
        keep = nms(boxes, scores, self.nms_thr)
        return boxes[keep].astype(np.float32), scores[keep]


class HOGFallbackPersonDetector:
    """Fallback: OpenCV's HOG + linear SVM people detector (Dalal & Triggs).

    Works offline with no weights file, but finds only upright, mostly
    unoccluded people at least :attr:`MIN_PERSON_HEIGHT` pixels tall
    (images whose short side is under :attr:`MIN_SHORT_SIDE` are upscaled
    first), and often only part of a person; use
    :class:`ONNXPersonDetector` for real work. Scores are the SVM margins
    mapped to ``(0, 1)`` by a logistic function (margin 0, the detector's
    own threshold, is 0.5).

    Args:
        bbox_thr (float): Least score kept. Defaults to 0.3.
        nms_thr (float): IoU threshold of the NMS. Defaults to 0.3.
    """
    name = 'OpenCV HOG people detector (fallback)'
    is_fallback = True
    MIN_PERSON_HEIGHT = 128  # the detection window is 64 x 128 pixels
    MIN_SHORT_SIDE = 600

    def __init__(self, bbox_thr: float = 0.3, nms_thr: float = 0.3) -> None:
        self.bbox_thr = bbox_thr
        self.nms_thr = nms_thr
        self.hog = cv2.HOGDescriptor()
        self.hog.setSVMDetector(cv2.HOGDescriptor_getDefaultPeopleDetector())

    #: Step of the detection window, in pixels of the resized image.
    WIN_STRIDE = 4
    #: Ratio between the levels of the image pyramid.
    SCALE_STEP = 1.03

    def _scale(self, image: np.ndarray) -> float:
        """Factor the image is resized by before the scan (here: upscale a
        short side under :attr:`MIN_SHORT_SIDE` to it)."""
        return max(1., self.MIN_SHORT_SIDE / min(image.shape[:2]))

    def __call__(self, image: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """Detect people; see the module docstring for the contract."""
        scale = self._scale(image)
        resized = image if scale == 1. else cv2.resize(
            image,
            None,
            fx=scale,
            fy=scale,
            interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
        rects, margins = self.hog.detectMultiScale(
            resized,
            winStride=(self.WIN_STRIDE, self.WIN_STRIDE),
            padding=(16, 16),
            scale=self.SCALE_STEP)
        if len(rects) == 0:
            return _empty()
        xywh = np.asarray(rects, np.float32).reshape(-1, 4) / scale
        boxes = np.concatenate([xywh[:, :2], xywh[:, :2] + xywh[:, 2:]], 1)
        scores = 1. / (1. + np.exp(-np.asarray(margins, np.float32).ravel()))
        keep = scores > self.bbox_thr
        boxes, scores = boxes[keep], scores[keep].astype(np.float32)
        keep = nms(boxes, scores, self.nms_thr)
        return boxes[keep], scores[keep]
