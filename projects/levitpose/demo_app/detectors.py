"""Person detectors for the top-down demo: MMDetection models, and the
offline fallback of :mod:`levitpose_lite` (OpenCV's HOG people detector),
which needs no weights."""
from typing import Optional, Tuple

import numpy as np

from levitpose_lite.boxes import nms
from levitpose_lite.detectors import HOGFallbackPersonDetector
from ..apis.device import check_device
from ..utils.config import config_errors, load_config
from ..utils.errors import InvalidInputError
from ..utils.strict_load import load_weights_strictly

__all__ = [
    'HOGPersonDetector', 'VideoHOGPersonDetector', 'MMDetPersonDetector',
    'nms_boxes'
]

#: The offline fallback: :mod:`levitpose_lite`'s, so the demo and the lite
#: runtime find the same people.
HOGPersonDetector = HOGFallbackPersonDetector
#: Greedy NMS over ``(N, 4)`` boxes: kept indices, highest score first.
nms_boxes = nms


class VideoHOGPersonDetector(HOGFallbackPersonDetector):
    """The offline fallback with settings for video, where the tracker
    follows people between detections and a person missed on one
    detection frame is found on a later one: the frame is downscaled to a
    short side of :attr:`SHORT_SIDE` pixels (the image fallback upscales
    it to 600) and scanned with a stride of :attr:`WIN_STRIDE` pixels and
    a pyramid step of :attr:`SCALE_STEP` (4 and 1.03 for images).

    Chosen by measurement (``docs/demo.md``, *Choosing the video
    defaults*, ``video_benchmark.py --compare-detectors``). It finds only
    people at least ``128 / SHORT_SIDE`` of the frame height tall (43 %);
    pass an MMDetection detector for smaller people.
    """
    name = 'OpenCV HOG people detector (fallback, video settings)'
    SHORT_SIDE = 300
    WIN_STRIDE = 8
    SCALE_STEP = 1.05

    def _scale(self, image: np.ndarray) -> float:
        """Resize the short side to :attr:`SHORT_SIDE` (down, mostly)."""
        return self.SHORT_SIDE / min(image.shape[:2])


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
        """Detect people: ``(N, 4)`` xyxy boxes in image pixels and ``(N, )``
        scores, highest score first (the contract of
        :mod:`levitpose_lite.detectors`)."""
        from mmdet.apis import inference_detector

        pred = inference_detector(self.model, img).pred_instances.cpu()
        boxes = pred.bboxes.numpy().astype(np.float32)
        scores = pred.scores.numpy().astype(np.float32)
        keep = (pred.labels.numpy() == self.cat_id) & (scores > self.bbox_thr)
        boxes, scores = boxes[keep], scores[keep]
        keep = nms_boxes(boxes, scores, self.nms_thr)
        return boxes[keep], scores[keep]
