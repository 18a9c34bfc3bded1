"""The tiny top-down config the hook tests train
(``tests/data/reliability/tiny_topdown_coco.py``), built in this process."""
import time
from pathlib import Path

import torch
from mmengine.config import Config
from mmengine.runner import Runner

TINY_CONFIG = (
    Path(__file__).resolve().parents[1] / 'data' / 'reliability' /
    'tiny_topdown_coco.py')


def tiny_runner(work_dir: Path, name: str, **options) -> Runner:
    """A runner of the tiny config: one thread, a quarter-width backbone,
    an experiment name unique to this call, then ``options`` merged."""
    torch.set_num_threads(1)
    cfg = Config.fromfile(str(TINY_CONFIG))
    cfg.merge_from_dict({
        'work_dir': str(work_dir),
        'experiment_name': f'{name}_{time.time_ns()}',
        'model.backbone.widen_factor': 0.25,
        **options
    })
    return Runner.from_cfg(cfg)
