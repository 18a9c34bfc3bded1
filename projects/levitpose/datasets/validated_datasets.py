"""COCO/MPII datasets that validate their annotation file when built.

MMEngine builds the train/val/test datasets (and so loads annotations)
while building each loop, before any hook's ``before_run``; validating in
``_load_annotations`` therefore fails ``mim train``, ``tools/train.py`` and
``tools/test.py`` before the first iteration, with every problem listed.
Use them in configs as ``type='ValidatedCocoDataset'`` /
``type='ValidatedMpiiDataset'``; everything else is MMPose's.
"""
from typing import List, Optional, Tuple

from mmengine.fileio import get_local_path
from mmpose.datasets import CocoDataset, MpiiDataset
from mmpose.registry import DATASETS

from .annotation_checks import (check_coco_annotations, check_mpii_annotations,
                                load_annotation_json, raise_if_problems)

__all__ = ['ValidatedCocoDataset', 'ValidatedMpiiDataset']


def _local_image_root(dataset) -> Optional[str]:
    """The image folder if it is local (remote images are not checked)."""
    root = dataset.data_prefix.get('img', '')
    return None if '://' in str(root) else root


def _validate(dataset, check) -> None:
    """Run ``check`` on ``dataset.ann_file``; raise on any problem."""
    with get_local_path(dataset.ann_file) as local_path:
        data = load_annotation_json(local_path)
    problems = check(data, dataset.metainfo['num_keypoints'],
                     _local_image_root(dataset))
    raise_if_problems(dataset.ann_file, problems)


@DATASETS.register_module()
class ValidatedCocoDataset(CocoDataset):
    """:class:`mmpose.datasets.CocoDataset` that checks its annotations.

    Raises :class:`~levitpose.datasets.AnnotationError` at build time for
    missing keys, keypoint lists of the wrong length, bad visibility flags,
    non-positive boxes, dangling ``image_id`` and missing image files.
    Arguments are those of ``CocoDataset``.
    """

    def _load_annotations(self) -> Tuple[List[dict], List[dict]]:
        _validate(self, check_coco_annotations)
        return super()._load_annotations()


@DATASETS.register_module()
class ValidatedMpiiDataset(MpiiDataset):
    """:class:`mmpose.datasets.MpiiDataset` that checks its annotations.

    Raises :class:`~levitpose.datasets.AnnotationError` at build time for
    missing keys, joint lists of the wrong length, non-positive scales,
    non-numeric image names and missing image files. Arguments are those
    of ``MpiiDataset``.
    """

    def _load_annotations(self) -> Tuple[List[dict], List[dict]]:
        _validate(self, check_mpii_annotations)
        return super()._load_annotations()
