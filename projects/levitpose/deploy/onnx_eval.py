"""Evaluate an ONNX model through ``levitpose_lite`` on a config's test set.

The config supplies the data set (its ``test_dataloader.dataset``: ground
truth or detected boxes) and the evaluator (``test_evaluator``: COCO AP,
PCKh, ...), both built by MMPose/MMEngine as ``tools/test.py`` builds them.
Only the model differs: every person goes through
:class:`levitpose_lite.TopDownPoseONNX` (its crops, its session, its
decoding), all persons of an image in one call. Each prediction is packed
by MMPose's ``PackPoseInputs`` and filled in as ``TopdownPoseEstimator``
fills it, so the metric sees what it sees in ``tools/test.py``.
"""
from typing import Callable, Dict, Iterable, List, Optional

import cv2
import numpy as np
from mmengine.config import Config

__all__ = ['build_test_dataset', 'evaluate_onnx']


def build_test_dataset(cfg: Config):
    """The config's test data set without its pipeline: the raw data infos
    (image path, box, box score, ground truth)."""
    from mmpose.registry import DATASETS
    from mmpose.utils import register_all_modules

    import levitpose  # noqa: F401  registers the validated data sets
    register_all_modules(init_default_scope=True)
    dataset_cfg = cfg.test_dataloader.dataset.copy()
    dataset_cfg['pipeline'] = []
    dataset_cfg['test_mode'] = True
    return DATASETS.build(dataset_cfg)


def _group_by_image(dataset) -> Iterable[List[dict]]:
    """Consecutive data infos of the same image (top-down data sets list
    the persons of an image together)."""
    group: List[dict] = []
    for index in range(len(dataset)):
        info = dataset[index]
        if group and info['img_path'] != group[0]['img_path']:
            yield group
            group = []
        group.append(info)
    if group:
        yield group


def _pack(info: dict, image_shape, keypoints: np.ndarray, scores: np.ndarray,
          bbox_scale: np.ndarray):
    """A ``PoseDataSample`` as ``tools/test.py`` hands it to the metric."""
    from mmengine.structures import InstanceData
    from mmpose.datasets.transforms import PackPoseInputs
    results = dict(info)
    results.update(
        # PackPoseInputs packs 'img' as the model's input tensor, which
        # the ONNX path does not use; a 1x1 image keeps that cheap.
        img=np.zeros((1, 1, 3), np.uint8),
        ori_shape=image_shape,
        img_shape=image_shape,
        bbox_scale=bbox_scale)  # after the aspect-ratio fix, as TopdownAffine
    sample = PackPoseInputs().transform(results)['data_samples']
    gt = sample.gt_instances
    sample.pred_instances = InstanceData(
        keypoints=keypoints,
        keypoint_scores=scores,
        bboxes=gt.bboxes,
        bbox_scores=gt.bbox_scores)
    return sample


def evaluate_onnx(cfg: Config,
                  pose,
                  progress: Optional[Callable] = None) -> Dict[str, float]:
    """Metrics of ``pose`` on the test set of ``cfg``.

    Args:
        cfg (Config): A top-down config (``test_dataloader``,
            ``test_evaluator``).
        pose (TopDownPoseONNX): The runtime; its input size must equal the
            codec's (checked by the caller or the constructor).
        progress (Callable, optional): Wraps the image iterator (e.g.
            ``tqdm``). Defaults to None.

    Returns:
        dict: Metric name (``coco/AP``, ``PCKh``, ...) -> value.
    """
    from mmengine.evaluator import Evaluator

    from levitpose_lite import bbox_xyxy_to_cs, fix_aspect_ratio
    dataset = build_test_dataset(cfg)
    if len(dataset) == 0:
        raise ValueError('the test set of the config is empty')
    evaluator = Evaluator(cfg.test_evaluator)
    evaluator.dataset_meta = dataset.metainfo
    w, h = pose.input_size
    groups = _group_by_image(dataset)
    if progress is not None:
        groups = progress(groups)
    for group in groups:
        path = group[0]['img_path']
        image = cv2.imread(path)
        if image is None:
            raise ValueError(f'cannot read image {path!r}')
        boxes = np.concatenate([info['bbox'] for info in group])  # (N, 4)
        keypoints, scores = pose(image, boxes)
        _, scales = bbox_xyxy_to_cs(boxes, pose.padding)
        scales = fix_aspect_ratio(scales, w / h)
        samples = [
            _pack(info, image.shape[:2], keypoints[i:i + 1], scores[i:i + 1],
                  scales[i:i + 1]) for i, info in enumerate(group)
        ]
        evaluator.process(samples)
    return evaluator.evaluate(len(dataset))
