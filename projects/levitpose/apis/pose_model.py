"""Build a top-down pose model and run it on an image and person boxes."""
import os.path as osp
from typing import Optional, Tuple, Union

import cv2
import numpy as np
from mmengine.config import Config
from torch import nn

from ..utils.config import config_errors, load_config
from ..utils.errors import InvalidInputError, MissingFileError
from ..utils.strict_load import load_weights_strictly
from .device import check_device

__all__ = ['init_pose_model', 'read_image', 'inference_topdown_keypoints']


def init_pose_model(config: Union[str, Config],
                    checkpoint: Optional[str] = None,
                    device: str = 'cpu',
                    cfg_options: Optional[dict] = None) -> nn.Module:
    """Build a pose estimator and load its weights strictly.

    Like :func:`mmpose.apis.init_model`, but every problem is a one-line
    :class:`~levitpose.utils.InvalidInputError`: a missing or unparsable
    config, a config that does not build, a checkpoint whose keys or shapes
    do not fit (:func:`~levitpose.utils.load_weights_strictly`), an
    unavailable device. Checkpoints are read weights-only.

    Args:
        config (str | Config): Config file (or ``mmpose::`` name) or
            object.
        checkpoint (str, optional): Checkpoint file. If None the model keeps
            its initial (untrained) weights. Defaults to None.
        device (str): ``'cpu'`` or ``'cuda:N'``. Defaults to ``'cpu'``.
        cfg_options (dict, optional): Values merged into the config.
            Defaults to None.

    Returns:
        nn.Module: The model in eval mode, with ``cfg`` and
        ``dataset_meta`` (from the checkpoint, else from the config).
    """
    from mmpose.apis import init_model

    device = check_device(device)
    name = config if isinstance(config, str) else 'the config'
    if isinstance(config, str):
        config = load_config(config, cfg_options)
    elif cfg_options:
        config = config.copy()
        config.merge_from_dict(cfg_options)
    if 'model' not in config:
        raise InvalidInputError(f'config {name} defines no model')
    with config_errors(f'a pose model from config {name}'):
        model = init_model(config, None, device='cpu')
    if checkpoint is not None:
        ckpt = load_weights_strictly(model, checkpoint, f'config {name}')
        meta = ckpt.get('meta', {}).get('dataset_meta')
        if meta:
            model.dataset_meta = meta
    return model.to(device).eval()


def read_image(path: str) -> np.ndarray:
    """Read an image file as a BGR ``uint8`` array.

    Args:
        path (str): Image file.

    Returns:
        np.ndarray: ``(H, W, 3)`` BGR image.

    Raises:
        MissingFileError: If ``path`` does not exist.
        InvalidInputError: If OpenCV cannot decode it.
    """
    if not osp.isfile(path):
        raise MissingFileError(f'image {path} does not exist')
    img = cv2.imread(path, cv2.IMREAD_COLOR)
    if img is None:
        raise InvalidInputError(
            f'cannot read image {path}: the file is not a valid image '
            '(truncated or corrupt?)')
    return img


def _as_boxes(bboxes) -> np.ndarray:
    boxes = np.asarray(bboxes, dtype=np.float32)
    if boxes.ndim == 1 and boxes.size == 4:
        boxes = boxes[None]
    if boxes.ndim != 2 or boxes.shape[1] != 4:
        raise InvalidInputError(
            f'bboxes must have shape (N, 4) as x1, y1, x2, y2; got '
            f'{boxes.shape}')
    if boxes.size and not np.isfinite(boxes).all():
        raise InvalidInputError('bboxes contain NaN or infinite values')
    if ((boxes[:, 2] <= boxes[:, 0]) | (boxes[:, 3] <= boxes[:, 1])).any():
        raise InvalidInputError(
            'bboxes must satisfy x2 > x1 and y2 > y1 (xyxy format)')
    return boxes


def inference_topdown_keypoints(model: nn.Module, img: Union[str, np.ndarray],
                                bboxes) -> Tuple[np.ndarray, np.ndarray]:
    """Estimate the keypoints of each person box in an image.

    Args:
        model (nn.Module): A top-down model from :func:`init_pose_model`.
        img (str | np.ndarray): Image file, or a BGR ``(H, W, 3)`` array.
        bboxes (array-like): ``(N, 4)`` boxes as ``x1, y1, x2, y2`` pixels.
            With ``N == 0`` nothing is estimated.

    Returns:
        tuple[np.ndarray, np.ndarray]: ``keypoints`` ``(N, K, 2)`` in image
        pixels and ``keypoint_scores`` ``(N, K)``; ``K`` is the number of
        keypoints of the model's dataset (17 for COCO).

    Raises:
        InvalidInputError: If the image cannot be read or ``bboxes`` is not
            ``(N, 4)`` xyxy with positive sizes.
    """
    from mmpose.apis import inference_topdown

    boxes = _as_boxes(bboxes)
    if isinstance(img, str):
        img = read_image(img)
    elif not (isinstance(img, np.ndarray) and img.ndim == 3
              and img.shape[2] == 3):
        raise InvalidInputError(
            'img must be an image path or an (H, W, 3) BGR array; got '
            f'{type(img).__name__} {getattr(img, "shape", "")}')
    num_keypoints = model.dataset_meta['num_keypoints']
    if len(boxes) == 0:
        return (np.zeros((0, num_keypoints, 2),
                         np.float32), np.zeros((0, num_keypoints), np.float32))
    samples = inference_topdown(model, img, boxes, bbox_format='xyxy')
    keypoints = np.concatenate([s.pred_instances.keypoints
                                for s in samples]).astype(np.float32)
    scores = np.concatenate(
        [s.pred_instances.keypoint_scores for s in samples]).astype(np.float32)
    return keypoints, scores
