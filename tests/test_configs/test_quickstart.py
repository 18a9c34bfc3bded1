"""The quickstart config reads the bundled sample set and nothing else."""
from pathlib import Path

import pytest
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmpose.registry import DATASETS

import levitpose  # noqa: F401  registers LEViTPose modules

REPO_ROOT = Path(__file__).resolve().parents[2]
QUICKSTART = (
    REPO_ROOT / 'configs' / 'quickstart' /
    'levitpose-t_sample-coco-256x256.py')


@pytest.fixture(scope='module')
def cfg() -> Config:
    return Config.fromfile(str(QUICKSTART))


def test_docstring_says_it_demonstrates_learning():
    text = QUICKSTART.read_text()
    assert 'demonstrates that training learns' in text
    assert 'AP >= 0.3' in text


def test_trains_levitpose_t_from_scratch(cfg):
    assert cfg.model.backbone.type == 'LEViTPose'
    assert cfg.model.backbone.arch == 'tiny'
    assert cfg.model.head.type == 'LFRMHead'
    assert cfg.get('load_from') is None
    assert 'init_cfg' not in cfg.model.backbone  # no pretrained weights


# 14 people are annotated; the 2 without keypoints are left out of both
@pytest.mark.parametrize('phase, people', [('train', 12), ('val', 12)])
def test_datasets_are_the_bundled_samples(cfg, phase, people):
    init_default_scope('mmpose')
    dataset_cfg = cfg[f'{phase}_dataloader'].dataset.copy()
    dataset_cfg.data_root = str(REPO_ROOT / dataset_cfg.data_root)
    dataset = DATASETS.build(dataset_cfg)
    assert len(dataset) == people
    assert all(
        Path(dataset.get_data_info(i)['img_path']).is_file()
        for i in range(len(dataset)))


def test_evaluates_on_the_same_annotations_with_gt_boxes(cfg):
    val = cfg.val_dataloader.dataset
    assert val.get('bbox_file') is None
    assert cfg.val_evaluator.type == 'CocoMetric'
    assert cfg.val_evaluator.ann_file == val.data_root + val.ann_file
    assert cfg.train_dataloader.dataset.ann_file == val.ann_file
