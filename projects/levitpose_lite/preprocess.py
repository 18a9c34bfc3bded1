"""Crop person boxes exactly like MMPose's top-down test pipeline.

MMPose turns a box into a center and a scale (``GetBBoxCenterScale``: the
box size times a padding of 1.25), widens the scale to the model's aspect
ratio (``TopdownAffine._fix_aspect_ratio``) and warps the region with the
affine matrix of ``get_warp_matrix`` (no rotation) and bilinear
interpolation. The pose model then sees the crop normalised by the data
preprocessor (BGR to RGB, ImageNet mean and std). This module does the
same with numpy and OpenCV only.

Note:
    - N: number of boxes (persons)
    - ``input_size``: the model input ``(w, h)``, as in MMPose codecs
"""
from typing import Sequence, Tuple

import cv2
import numpy as np

__all__ = [
    'IMAGENET_MEAN', 'IMAGENET_STD', 'BBOX_PADDING', 'check_boxes',
    'bbox_xyxy_to_cs', 'fix_aspect_ratio', 'get_warp_matrix', 'crop_boxes'
]

#: Mean and std of MMPose's ``PoseDataPreprocessor`` (RGB order).
IMAGENET_MEAN = (123.675, 116.28, 103.53)
IMAGENET_STD = (58.395, 57.12, 57.375)
#: MMPose's ``GetBBoxCenterScale`` default padding.
BBOX_PADDING = 1.25


def check_boxes(bboxes: np.ndarray) -> np.ndarray:
    """Refuse boxes no crop can be made of.

    A box with a NaN or infinite coordinate, or with ``x2 <= x1`` or
    ``y2 <= y1`` (zero or negative size), would make a crop scale of zero
    (a division by zero) or non-finite keypoints.

    Args:
        bboxes (np.ndarray): Boxes ``(x1, y1, x2, y2)`` in shape (N, 4).

    Returns:
        np.ndarray: ``bboxes`` as float32.

    Raises:
        ValueError: Naming the first bad box by its coordinates.
    """
    bboxes = np.asarray(bboxes, dtype=np.float32)
    if bboxes.ndim != 2 or bboxes.shape[1] != 4:
        raise ValueError('bboxes must have shape (N, 4) (x1, y1, x2, y2), '
                         f'got {bboxes.shape}')
    finite = np.isfinite(bboxes).all(axis=1)
    positive = (bboxes[:, 2] > bboxes[:, 0]) & (bboxes[:, 3] > bboxes[:, 1])
    bad = np.flatnonzero(~(finite & positive))
    if bad.size:
        index = bad[0]
        box = tuple(float(v) for v in bboxes[index])
        why = ('has a NaN or infinite coordinate' if not finite[index] else
               'has zero or negative size (need x2 > x1 and y2 > y1)')
        raise ValueError(f'bbox (x1, y1, x2, y2) = {box} {why}')
    return bboxes


def bbox_xyxy_to_cs(bboxes: np.ndarray,
                    padding: float = BBOX_PADDING
                    ) -> Tuple[np.ndarray, np.ndarray]:
    """Centers and padded scales of ``(x1, y1, x2, y2)`` boxes.

    Args:
        bboxes (np.ndarray): Boxes in shape (N, 4).
        padding (float): Factor applied to the box size. Defaults to 1.25.

    Returns:
        tuple: ``centers`` (N, 2) and ``scales`` (N, 2) as ``(w, h)``.
    """
    bboxes = np.asarray(bboxes, dtype=np.float32)
    centers = (bboxes[:, :2] + bboxes[:, 2:4]) * 0.5
    scales = (bboxes[:, 2:4] - bboxes[:, :2]) * padding
    return centers, scales


def fix_aspect_ratio(scales: np.ndarray, aspect_ratio: float) -> np.ndarray:
    """Grow each ``(w, h)`` scale to the aspect ratio ``w / h``.

    Args:
        scales (np.ndarray): Scales in shape (N, 2).
        aspect_ratio (float): Target ``w / h``.

    Returns:
        np.ndarray: Scales in shape (N, 2), never smaller than the input.
    """
    w, h = scales[:, :1], scales[:, 1:2]
    return np.where(w > h * aspect_ratio, np.hstack([w, w / aspect_ratio]),
                    np.hstack([h * aspect_ratio, h])).astype(np.float32)


def get_warp_matrix(center: np.ndarray, scale: np.ndarray,
                    output_size: Sequence[int]) -> np.ndarray:
    """The 2x3 affine matrix mapping the region ``(center, scale)`` of the
    image onto an ``output_size`` crop (no rotation).

    The region's width is mapped onto the crop's width and the region's
    center onto the crop's center, which is what MMPose's
    ``get_warp_matrix`` computes from three point pairs.

    Args:
        center (np.ndarray): Region center ``(x, y)``, shape (2, ).
        scale (np.ndarray): Region size ``(w, h)``, shape (2, ).
        output_size (Sequence[int]): Crop size ``(w, h)``.

    Returns:
        np.ndarray: The matrix in shape (2, 3), float32.
    """
    dst_w, dst_h = output_size
    ratio = dst_w / float(scale[0])
    return np.array([[ratio, 0., dst_w * 0.5 - ratio * float(center[0])],
                     [0., ratio, dst_h * 0.5 - ratio * float(center[1])]],
                    dtype=np.float32)


def crop_boxes(image: np.ndarray,
               bboxes: np.ndarray,
               input_size: Sequence[int],
               padding: float = BBOX_PADDING,
               mean: Sequence[float] = IMAGENET_MEAN,
               std: Sequence[float] = IMAGENET_STD,
               bgr_to_rgb: bool = True
               ) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Crop, normalise and batch the person boxes of one image.

    Args:
        image (np.ndarray): The image in shape (H, W, 3), as read by
            ``cv2.imread`` (BGR).
        bboxes (np.ndarray): Boxes ``(x1, y1, x2, y2)`` in shape (N, 4);
            each must be finite with a positive size (:func:`check_boxes`).
        input_size (Sequence[int]): Model input ``(w, h)``.
        padding (float): Box padding. Defaults to 1.25.
        mean (Sequence[float]): Per-channel mean, in the model's channel
            order. Defaults to :data:`IMAGENET_MEAN`.
        std (Sequence[float]): Per-channel std. Defaults to
            :data:`IMAGENET_STD`.
        bgr_to_rgb (bool): Swap channels before normalising. Defaults to
            True.

    Returns:
        tuple: ``batch`` (N, 3, h, w) float32, ``centers`` (N, 2) and
        ``scales`` (N, 2) of the cropped regions (needed to map keypoints
        back to the image).

    Raises:
        ValueError: If a box is not finite or has no area, naming it.
    """
    w, h = (int(v) for v in input_size)
    centers, scales = bbox_xyxy_to_cs(check_boxes(bboxes), padding)
    scales = fix_aspect_ratio(scales, aspect_ratio=w / h)
    batch = np.empty((len(centers), 3, h, w), dtype=np.float32)
    mean = np.asarray(mean, dtype=np.float32)
    inv_std = 1. / np.asarray(std, dtype=np.float32)
    for i, (center, scale) in enumerate(zip(centers, scales)):
        crop = cv2.warpAffine(
            image,
            get_warp_matrix(center, scale, (w, h)), (w, h),
            flags=cv2.INTER_LINEAR)
        if bgr_to_rgb:
            crop = crop[..., ::-1]
        crop = (crop.astype(np.float32) - mean) * inv_std  # (h, w, 3)
        batch[i] = crop.transpose(2, 0, 1)
    return batch, centers, scales
