"""Decode model outputs to keypoints like MMPose's codecs.

Heatmaps as ``MSRAHeatmap.decode`` (not unbiased): per keypoint, the
location of the heatmap maximum (``-1`` where the maximum is not positive),
refined by a quarter pixel towards the higher neighbour
(``refine_keypoints``), scaled from heatmap to input pixels. SimCC vectors
as ``SimCCLabel.decode`` (``get_simcc_maximum``). Both are finally mapped
from the crop back to the image as ``TopdownPoseEstimator`` does.

Note:
    - N: number of instances
    - K: number of keypoints
    - H, W: heatmap height and width
    - Wx, Wy: lengths of the SimCC x and y vectors
"""
from typing import Sequence, Tuple

import numpy as np

__all__ = [
    'get_heatmap_maximum', 'refine_keypoints', 'decode_heatmaps',
    'decode_simcc', 'keypoints_to_image'
]

#: Sub-pixel step of ``refine_keypoints``.
QUARTER_PIXEL = 0.25


def get_heatmap_maximum(heatmaps: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Locations and values of the maxima of (N, K, H, W) heatmaps.

    Args:
        heatmaps (np.ndarray): Heatmaps in shape (N, K, H, W).

    Returns:
        tuple: ``locs`` (N, K, 2) as ``(x, y)`` float32, ``-1`` where the
        maximum is not positive, and ``vals`` (N, K).
    """
    n, k, h, w = heatmaps.shape
    flat = heatmaps.reshape(n, k, h * w)
    index = np.argmax(flat, axis=-1)
    vals = np.take_along_axis(flat, index[..., None], axis=-1)[..., 0]
    locs = np.stack([index % w, index // w], axis=-1).astype(np.float32)
    locs[vals <= 0.] = -1
    return locs, vals


def refine_keypoints(locs: np.ndarray, heatmaps: np.ndarray) -> np.ndarray:
    """Shift integer maxima a quarter pixel towards the higher neighbour.

    The validity conditions are those of MMPose's ``refine_keypoints``
    (note the asymmetric bounds: ``1 < x < W - 1`` with ``0 < y < H`` for
    the x step, ``1 < y < H - 1`` with ``0 < x < W`` for the y step).

    Args:
        locs (np.ndarray): Integer maxima (N, K, 2) from
            :func:`get_heatmap_maximum`.
        heatmaps (np.ndarray): Heatmaps in shape (N, K, H, W).

    Returns:
        np.ndarray: Refined locations (N, K, 2), float32 (a new array).
    """
    n, k, h, w = heatmaps.shape
    x = locs[..., 0].astype(np.int64)
    y = locs[..., 1].astype(np.int64)
    ni, ki = np.meshgrid(np.arange(n), np.arange(k), indexing='ij')

    def value_at(xs, ys):
        return heatmaps[ni, ki, np.clip(ys, 0, h - 1), np.clip(xs, 0, w - 1)]

    dx = np.where((x > 1) & (x < w - 1) & (y > 0) & (y < h),
                  value_at(x + 1, y) - value_at(x - 1, y), 0.)
    dy = np.where((y > 1) & (y < h - 1) & (x > 0) & (x < w),
                  value_at(x, y + 1) - value_at(x, y - 1), 0.)
    step = np.stack([np.sign(dx), np.sign(dy)], axis=-1).astype(np.float32)
    return locs.astype(np.float32) + step * np.float32(QUARTER_PIXEL)


def decode_heatmaps(heatmaps: np.ndarray, input_size: Sequence[int]
                    ) -> Tuple[np.ndarray, np.ndarray]:
    """Keypoints in model-input pixels and their scores.

    Args:
        heatmaps (np.ndarray): Heatmaps in shape (N, K, H, W).
        input_size (Sequence[int]): Model input ``(w, h)``.

    Returns:
        tuple: ``keypoints`` (N, K, 2) in input pixels and ``scores``
        (N, K), the heatmap maxima.
    """
    heatmaps = np.asarray(heatmaps, dtype=np.float32)
    if heatmaps.ndim != 4:
        raise ValueError('heatmaps must have shape (N, K, H, W), got '
                         f'{heatmaps.shape}')
    h, w = heatmaps.shape[-2:]
    locs, scores = get_heatmap_maximum(heatmaps)
    locs = refine_keypoints(locs, heatmaps)
    scale_factor = (
        np.asarray(input_size, dtype=np.float32) /
        np.array([w, h], dtype=np.float32))
    return locs * scale_factor, scores


def decode_simcc(simcc: np.ndarray, split: int,
                 split_ratio: float) -> Tuple[np.ndarray, np.ndarray]:
    """Keypoints in model-input pixels and their scores, from SimCC vectors
    as MMPose's ``get_simcc_maximum``: the arg-max of each vector (``-1``
    where the score is not positive) divided by ``split_ratio``; the score
    is the lower of the two maxima.

    Args:
        simcc (np.ndarray): The x and y vectors joined, (N, K, 1, Wx + Wy),
            as ``export_simcc_onnx.py`` exports them.
        split (int): ``Wx``, where the y vector starts.
        split_ratio (float): The codec's ``simcc_split_ratio`` (vector bins
            per input pixel).

    Returns:
        tuple: ``keypoints`` (N, K, 2) in input pixels and ``scores``
        (N, K).
    """
    simcc = np.asarray(simcc, dtype=np.float32)
    if simcc.ndim != 4 or simcc.shape[2] != 1 or simcc.shape[3] <= split:
        raise ValueError('SimCC output must have shape (N, K, 1, Wx + Wy) '
                         f'with Wx = {split}, got {simcc.shape}')
    simcc_x, simcc_y = simcc[:, :, 0, :split], simcc[:, :, 0, split:]
    locs = np.stack([simcc_x.argmax(-1),
                     simcc_y.argmax(-1)], axis=-1).astype(np.float32)
    scores = np.minimum(simcc_x.max(-1), simcc_y.max(-1))
    locs[scores <= 0] = -1
    return locs / np.float32(split_ratio), scores


def keypoints_to_image(keypoints: np.ndarray, centers: np.ndarray,
                       scales: np.ndarray,
                       input_size: Sequence[int]) -> np.ndarray:
    """Map keypoints from crop (input) pixels to image pixels.

    Args:
        keypoints (np.ndarray): Keypoints (N, K, 2) in input pixels.
        centers (np.ndarray): Crop centers (N, 2) in the image.
        scales (np.ndarray): Crop sizes ``(w, h)`` (N, 2) in the image.
        input_size (Sequence[int]): Model input ``(w, h)``.

    Returns:
        np.ndarray: Keypoints (N, K, 2) in image pixels.
    """
    size = np.asarray(input_size, dtype=np.float32)
    centers = np.asarray(centers, dtype=np.float32)[:, None]
    scales = np.asarray(scales, dtype=np.float32)[:, None]
    return keypoints / size * scales + centers - 0.5 * scales
