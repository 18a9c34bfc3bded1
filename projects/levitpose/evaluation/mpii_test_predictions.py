"""Write MPII test-set predictions to a file, as MMPose 0.29 wrote them.

MPII's test keypoints are not public: its maintainers score submitted
predictions. MMPose 0.29 (the paper's framework) saved MPII predictions as
``pred.mat`` holding ``preds``, an ``N x 16 x 2`` array of one-based
(MATLAB) pixel coordinates ``(x, y)`` in the order of the annotation file;
MMPose 1.x has no such writer. :class:`MpiiTestPredictions` is one.
"""
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log
from mmpose.registry import METRICS
from scipy.io import savemat

__all__ = ['MpiiTestPredictions']


@METRICS.register_module()
class MpiiTestPredictions(BaseMetric):
    """Save every prediction to ``{outfile_prefix}.mat``; compute nothing.

    Args:
        outfile_prefix (str): Path of the file without ``.mat``.
        collect_device (str): ``'cpu'`` or ``'gpu'``, as in
            :class:`BaseMetric`. Defaults to ``'cpu'``.
        prefix (str, optional): Metric name prefix. Defaults to None.
    """

    default_prefix: Optional[str] = 'mpii-test'

    def __init__(self,
                 outfile_prefix: str,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if not isinstance(outfile_prefix, str) or not outfile_prefix:
            raise ValueError('outfile_prefix must be a non-empty path, got '
                             f'{outfile_prefix!r}')
        self.outfile_prefix = outfile_prefix

    def process(self, data_batch: Sequence[dict],
                data_samples: Sequence[dict]) -> None:
        """Keep each person's id and predicted keypoints ``(K, 2)``."""
        for sample in data_samples:
            keypoints = sample['pred_instances']['keypoints']
            self.results.append((int(sample['id']),
                                 np.asarray(keypoints)[0].astype(np.float64)))

    def compute_metrics(self, results: List[tuple]) -> Dict[str, float]:
        """Write ``preds`` (one-based, in annotation order); return ``{}``.
        """
        results = sorted(results, key=lambda item: item[0])
        preds = np.stack([kpts for _, kpts in results]) + 1.  # MATLAB
        path = self.outfile_prefix + '.mat'
        folder = osp.dirname(path)
        if folder:
            os.makedirs(folder, exist_ok=True)
        savemat(path, mdict={'preds': preds})
        print_log(
            f'{len(preds)} MPII test predictions saved in {path}',
            logger='current')
        return {}
