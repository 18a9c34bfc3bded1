"""Draw a config's dataset as the model sees it (``browse_dataset.py``)."""
import os
import os.path as osp
from typing import List, Tuple

import cv2
import numpy as np
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmpose.registry import DATASETS

from .runner_args import UsageError

__all__ = ['browse_dataset', 'draw_keypoints', 'PHASES', 'MODES']

PHASES = ('train', 'val', 'test')
MODES = ('transformed', 'original')


def browse_dataset(cfg: Config,
                   output_dir: str,
                   phase: str = 'train',
                   max_items: int = 50,
                   mode: str = 'transformed') -> List[str]:
    """Write images of a dataset with its ground-truth keypoints drawn.

    Args:
        cfg (Config): A config with a ``{phase}_dataloader``.
        output_dir (str): Folder for the images (created if missing).
        phase (str): ``train``, ``val`` or ``test``. Defaults to ``train``.
        max_items (int): At most this many instances are drawn.
            Defaults to 50.
        mode (str): ``transformed``: the crops the pipeline produces (with
            its augmentation); ``original``: the loaded images with boxes.
            Defaults to ``transformed``.

    Returns:
        list[str]: The written files, one per instance.

    Raises:
        UsageError: On a bad ``phase``, ``mode`` or ``max_items``, or a
            config without that data loader.
    """
    if phase not in PHASES:
        raise UsageError(f'phase {phase!r} is not one of {PHASES}')
    if mode not in MODES:
        raise UsageError(f'mode {mode!r} is not one of {MODES}')
    if max_items < 1:
        raise UsageError(f'max_items must be >= 1, got {max_items}')
    loader_cfg = cfg.get(f'{phase}_dataloader')
    if loader_cfg is None:
        raise UsageError(f'the config has no {phase}_dataloader')
    init_default_scope(cfg.get('default_scope', 'mmpose'))
    dataset_cfg = loader_cfg.dataset.copy()
    if mode == 'original':
        dataset_cfg.pipeline = [
            dict(type='LoadImage'),
            dict(type='PackPoseInputs')
        ]
    else:  # show the keypoints of the crop, not of the original image
        dataset_cfg.pipeline[-1]['pack_transformed'] = True
    dataset = DATASETS.build(dataset_cfg)
    os.makedirs(output_dir, exist_ok=True)
    written = []
    for index in range(min(len(dataset), max_items)):
        item = dataset[index]
        sample = item['data_samples']
        gt = sample.gt_instances
        image = np.ascontiguousarray(item['inputs'].permute(
            1, 2, 0).numpy())  # (H, W, 3) BGR
        keypoints = (
            gt.transformed_keypoints
            if mode == 'transformed' else gt.keypoints)
        draw_keypoints(image, keypoints, gt.keypoints_visible,
                       dataset.metainfo)
        if mode == 'original':
            for x1, y1, x2, y2 in np.asarray(gt.bboxes).round().astype(int):
                cv2.rectangle(image, (x1, y1), (x2, y2), (0, 255, 0), 1)
        stem = osp.splitext(osp.basename(sample.img_path))[0]
        out_file = osp.join(output_dir, f'{stem}_{index:04d}.jpg')
        if not cv2.imwrite(out_file, image):
            raise OSError(f'could not write {out_file}')
        written.append(out_file)
    return written


def draw_keypoints(image: np.ndarray, keypoints: np.ndarray,
                   visible: np.ndarray, metainfo: dict) -> np.ndarray:
    """Draw keypoints and skeleton links in place.

    Args:
        image (np.ndarray): A BGR image of shape (H, W, 3), modified.
        keypoints (np.ndarray): (N, K, 2) pixel coordinates.
        visible (np.ndarray): (N, K) visibility; joints <= 0 are skipped.
        metainfo (dict): The dataset's metainfo (``skeleton_links`` and
            RGB ``keypoint_colors`` / ``skeleton_link_colors``).

    Returns:
        np.ndarray: ``image``.
    """
    keypoints = np.asarray(keypoints, dtype=np.float32)
    visible = np.asarray(visible).reshape(keypoints.shape[:2]) > 0
    num_keypoints = keypoints.shape[1]
    colors = np.asarray(
        metainfo.get('keypoint_colors', [[255, 0, 0]] * num_keypoints))
    links = metainfo.get('skeleton_links', [])
    link_colors = np.asarray(
        metainfo.get('skeleton_link_colors', [[0, 255, 0]] * len(links)))
    radius = max(2, round(max(image.shape[:2]) / 150))
    for points, shown in zip(keypoints, visible):
        for (a, b), color in zip(links, link_colors):
            if shown[a] and shown[b]:
                cv2.line(image, _pixel(points[a]), _pixel(points[b]),
                         _bgr(color), max(1, radius // 2), cv2.LINE_AA)
        for point, is_shown, color in zip(points, shown, colors):
            if is_shown:
                cv2.circle(image, _pixel(point), radius, _bgr(color), -1,
                           cv2.LINE_AA)
    return image


def _pixel(point: np.ndarray) -> Tuple[int, int]:
    return int(round(float(point[0]))), int(round(float(point[1])))


def _bgr(rgb: np.ndarray) -> Tuple[int, int, int]:
    r, g, b = (int(c) for c in np.asarray(rgb).reshape(3))
    return b, g, r
