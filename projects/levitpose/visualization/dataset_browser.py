"""Draw a config's dataset as the model sees it (``browse_dataset.py``),
with the visualizer the configs use, as MMPose's ``browse_dataset`` does."""
import os.path as osp
from typing import List

import numpy as np
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmpose.registry import DATASETS

from ..utils.config import config_errors
from ..utils.errors import UsageError
from .pose_visualizer import LEViTPoseVisualizer

__all__ = ['browse_dataset', 'PHASES', 'MODES']

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
    else:  # the visualizer then draws the keypoints of the crop
        dataset_cfg.pipeline[-1]['pack_transformed'] = True
    with config_errors(f'the {phase} dataset'):
        dataset = DATASETS.build(dataset_cfg)
    visualizer = LEViTPoseVisualizer(name=f'browse_dataset_{id(cfg)}')
    visualizer.set_dataset_meta(dataset.metainfo)
    written = []
    for index in range(min(len(dataset), max_items)):
        item = dataset[index]
        sample = item['data_samples']
        image = item['inputs'].permute(1, 2, 0).numpy()[..., ::-1]  # RGB
        stem = osp.splitext(osp.basename(sample.img_path))[0]
        out_file = osp.join(output_dir, f'{stem}_{index:04d}.jpg')
        visualizer.add_datasample(
            'dataset',
            np.ascontiguousarray(image),
            data_sample=sample,
            draw_pred=False,
            draw_bbox=mode == 'original',
            show=False,
            out_file=out_file)
        written.append(out_file)
    return written
