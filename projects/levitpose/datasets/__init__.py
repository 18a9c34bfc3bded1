"""Datasets registered into ``mmpose.registry.DATASETS``."""
from .annotation_checks import (AnnotationError, check_coco_annotations,
                                check_mpii_annotations)
from .test_sets import ValidatedCocoTestDataset, ValidatedMpiiTestDataset
from .validated_datasets import ValidatedCocoDataset, ValidatedMpiiDataset

__all__ = [
    'AnnotationError', 'check_coco_annotations', 'check_mpii_annotations',
    'ValidatedCocoDataset', 'ValidatedMpiiDataset', 'ValidatedCocoTestDataset',
    'ValidatedMpiiTestDataset'
]
