"""A hook that writes the test metrics to a file (``tools/test.py --out``)."""
import os.path as osp
from typing import Dict, Optional

import mmengine
from mmengine.dist import is_main_process
from mmengine.hooks import Hook
from mmpose.registry import HOOKS

__all__ = ['MetricsDumpHook']


@HOOKS.register_module()
class MetricsDumpHook(Hook):
    """Dump the metrics of a test run with :func:`mmengine.dump`.

    Args:
        out_file (str): Where to write; the extension (``.json``, ``.yaml``,
            ``.pkl``) picks the format.

    Raises:
        ValueError: If the extension is not one MMEngine can dump.
    """

    priority = 'LOWEST'
    FORMATS = ('.json', '.yaml', '.yml', '.pkl', '.pickle')

    def __init__(self, out_file: str) -> None:
        if not out_file.endswith(self.FORMATS):
            raise ValueError(f'out_file {out_file!r} must end with one of '
                             f'{self.FORMATS}')
        self.out_file = out_file

    def after_test_epoch(self,
                         runner,
                         metrics: Optional[Dict[str, float]] = None) -> None:
        """Write ``metrics`` (on the main process only)."""
        if metrics is not None and is_main_process():
            mmengine.mkdir_or_exist(osp.dirname(osp.abspath(self.out_file)))
            mmengine.dump(dict(metrics), self.out_file)
