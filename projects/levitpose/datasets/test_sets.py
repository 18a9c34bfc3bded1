"""The COCO test-dev and MPII test sets: images and boxes, no keypoints.

Their keypoints are not public; the evaluation servers score predictions.
MMPose's ``CocoDataset`` reads test-dev from COCO's image list
(``image_info_test-dev2017.json``: ``images``, no ``annotations``) and a
person-detection file; its ``MpiiDataset`` needs ``joints`` in every entry,
which MPII's test annotations (``mpii_test.json``: ``image``, ``center``,
``scale``) lack. These subclasses check what the files do hold when built
(one :class:`~levitpose.datasets.AnnotationError` listing the problems)
and otherwise are MMPose's.
"""
import json
import os.path as osp
import tempfile
from typing import Any, Dict, List, Optional, Tuple

from mmengine.fileio import get_local_path
from mmpose.datasets import CocoDataset, MpiiDataset
from mmpose.registry import DATASETS

from .annotation_checks import (AnnotationError, _check_image_file, _is_id,
                                _numbers, check_coco_annotations,
                                check_mpii_annotations, load_annotation_json,
                                raise_if_problems)
from .validated_datasets import _local_image_root

__all__ = ['ValidatedCocoTestDataset', 'ValidatedMpiiTestDataset']


def _detection_problems(detections: Any, images: Dict[Any, str],
                        img_root: Optional[str]) -> List[str]:
    """Problems of a COCO detection results list: keys (``image_id``,
    ``category_id``, ``bbox``, ``score``), an ``image_id`` of the image
    list, a box ``[x, y, w, h]``, and the image files of the people."""
    if not isinstance(detections, list):
        return [
            f'top level is a {type(detections).__name__}, expected a list '
            'of detections'
        ]
    problems, needed = [], set()
    for index, det in enumerate(detections):
        where = f'detection {index}'
        missing = [
            k for k in ('image_id', 'category_id', 'bbox', 'score')
            if not isinstance(det, dict) or k not in det
        ]
        if missing:
            problems.append(f'{where}: missing key(s) {missing}')
        elif not _is_id(det['image_id']) or det['image_id'] not in images:
            problems.append(f'{where}: image_id {det["image_id"]!r} is not '
                            'in the image list')
        elif not _numbers(
                det['bbox'][:4] if isinstance(det['bbox'], list) else None, 4):
            problems.append(f'{where}: "bbox" must be [x, y, w, h], got '
                            f'{det["bbox"]!r}')
        elif det['category_id'] == 1:  # the people MMPose keeps
            needed.add(det['image_id'])
    for img_id in sorted(needed, key=str):
        error = _check_image_file(img_root, images[img_id])
        if error:
            problems.append(f'image id {img_id}: {error}')
    return problems


@DATASETS.register_module()
class ValidatedCocoTestDataset(CocoDataset):
    """COCO test-dev: an image list plus person detections.

    Checks the image list (ids, file names, sizes), the detections (keys,
    ``image_id`` in the list, boxes) and the image files of the detected
    people, and that ``bbox_file`` is set (test-dev has no ground-truth
    boxes). Arguments are those of ``CocoDataset``.
    """

    def _load_detection_results(self) -> List[dict]:
        with get_local_path(self.ann_file) as local_path:
            data = load_annotation_json(local_path)
        if isinstance(data, dict) and 'annotations' not in data:
            data = dict(data, annotations=[])  # an image list
        root = _local_image_root(self)
        raise_if_problems(
            self.ann_file,
            check_coco_annotations(data, self.metainfo['num_keypoints'], root))
        with get_local_path(self.bbox_file) as local_path:
            detections = load_annotation_json(local_path)
        images = {img['id']: img['file_name'] for img in data['images']}
        raise_if_problems(self.bbox_file,
                          _detection_problems(detections, images, root))
        return super()._load_detection_results()

    def _load_annotations(self) -> Tuple[List[dict], List[dict]]:
        raise AnnotationError(
            f'{self.ann_file}: a test set has no keypoints; set bbox_file '
            '(the person detections to predict keypoints for)')


@DATASETS.register_module()
class ValidatedMpiiTestDataset(MpiiDataset):
    """MPII test set: ``image``, ``center`` and ``scale`` per person.

    Entries get zero ``joints`` and ``joints_vis`` (nothing to train or
    score with), then load as in ``MpiiDataset`` (same box from
    ``center``/``scale``, same ids: the entry's index); every entry is
    kept. Arguments are those of ``MpiiDataset``, without
    ``headbox_file``.
    """

    @staticmethod
    def _is_valid_instance(data_info: dict) -> bool:
        """Keep every person: MMPose drops instances whose keypoints are
        all zero, which every test entry's are (its boxes are checked)."""
        return True

    def _load_annotations(self) -> Tuple[List[dict], List[dict]]:
        if self.headbox_file:
            raise AnnotationError(
                f'{self.headbox_file}: the MPII test set has no head boxes '
                '(they are for PCKh on the validation set)')
        with get_local_path(self.ann_file) as local_path:
            data = load_annotation_json(local_path)
        num_keypoints = self.metainfo['num_keypoints']
        if isinstance(data, list):
            data = [
                dict(
                    ann,
                    joints=[[0., 0.]] * num_keypoints,
                    joints_vis=[0] *
                    num_keypoints) if isinstance(ann, dict) else ann
                for ann in data
            ]
        problems = check_mpii_annotations(data, num_keypoints,
                                          _local_image_root(self))
        raise_if_problems(self.ann_file, problems)
        # MMPose's loader reads a file: give it the completed entries
        original = self.ann_file
        with tempfile.TemporaryDirectory() as folder:
            self.ann_file = osp.join(folder, osp.basename(original))
            with open(self.ann_file, 'w', encoding='utf-8') as file:
                json.dump(data, file)
            try:
                return super()._load_annotations()
            finally:
                self.ann_file = original
