"""Every config under configs/ builds its model; every model-zoo config's
file name matches its content (NxB batch, E epochs, HxW input size)."""
import re
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

REPO = Path(__file__).resolve().parents[2]
CONFIGS = sorted(
    p for p in (REPO / 'configs').rglob('*.py') if '_base_' not in p.parts)
NAME = re.compile(r'_(?P<gpus>\d+)xb(?P<batch>\d+)-(?P<epochs>\d+)e_'
                  r'(?P<dataset>[a-z0-9]+)(?:-(?P<split>test-dev|test))?'
                  r'-(?P<h>\d+)x(?P<w>\d+)\.py$')
IDS = [str(p.relative_to(REPO / 'configs')) for p in CONFIGS]
#: Model-zoo configs follow MMPose's naming scheme
#: ``{algorithm}_{modules}_{N}xb{B}-{E}e_{dataset}-{H}x{W}.py``; a test-set
#: config names its split after the dataset (``coco-test-dev``,
#: ``mpii-test``).
ZOO = [p for p in CONFIGS if 'body_2d_keypoint' in p.parts]
ZOO_IDS = [str(p.relative_to(REPO / 'configs')) for p in ZOO]
EXPECTED = {
    'body_2d_keypoint/topdown_heatmap/mpii/'
    'td-hm_levitpose-t_8xb64-210e_mpii-256x256.py',
    'body_2d_keypoint/topdown_heatmap/mpii/'
    'td-hm_levitpose-s_8xb64-210e_mpii-256x256.py',
    'body_2d_keypoint/topdown_heatmap/coco/'
    'td-hm_levitpose-t_8xb64-210e_coco-256x256.py',
    'body_2d_keypoint/topdown_heatmap/coco/'
    'td-hm_levitpose-s_8xb64-210e_coco-256x256.py',
    'body_2d_keypoint/topdown_heatmap/mpii/'
    'td-hm_efficientvit-m0_8xb64-210e_mpii-256x256.py',
    'body_2d_keypoint/topdown_heatmap/mpii/'
    'td-hm_efficientvit-m0-in1k_8xb64-210e_mpii-256x256.py',
    'body_2d_keypoint/topdown_heatmap/coco/'
    'td-hm_levitpose-s_8xb64-210e_coco-test-dev-256x256.py',
    'body_2d_keypoint/topdown_heatmap/coco/'
    'td-hm_levitpose-t_8xb64-210e_coco-test-dev-256x256.py',
    'body_2d_keypoint/topdown_heatmap/mpii/'
    'td-hm_levitpose-s_8xb64-210e_mpii-test-256x256.py',
    'body_2d_keypoint/topdown_heatmap/mpii/'
    'td-hm_levitpose-t_8xb64-210e_mpii-test-256x256.py',
}


def test_expected_configs_exist():
    assert EXPECTED <= set(IDS)


@pytest.mark.parametrize('path', ZOO, ids=ZOO_IDS)
def test_config_name_matches_content(path):
    match = NAME.search(path.name)
    assert match, f'{path.name} does not follow the MMPose naming scheme'
    cfg = Config.fromfile(path)
    assert cfg.train_dataloader.batch_size == int(match['batch'])
    assert cfg.train_cfg.max_epochs == int(match['epochs'])
    assert cfg.auto_scale_lr.base_batch_size == (
        int(match['gpus']) * int(match['batch']))
    w, h = cfg.codec['input_size']
    assert (h, w) == (int(match['h']), int(match['w']))
    assert match['dataset'] in cfg.train_dataloader.dataset.data_root


@pytest.mark.parametrize('path', CONFIGS, ids=IDS)
def test_config_builds_model(path):
    from mmpose.registry import MODELS
    cfg = Config.fromfile(path)
    init_default_scope('mmpose')
    model = MODELS.build(cfg.model).eval()
    w, h = cfg.codec['input_size']
    with torch.no_grad():
        heatmaps = model(torch.rand(1, 3, h, w), None, 'tensor')
    hw, hh = cfg.codec['heatmap_size']
    assert heatmaps.shape == (1, cfg.model.head.out_channels, hh, hw)


@pytest.mark.parametrize('path', ZOO, ids=ZOO_IDS)
def test_pipelines_use_the_codec(path):
    cfg = Config.fromfile(path)
    affine = [t for t in cfg.train_pipeline if t['type'] == 'TopdownAffine']
    assert affine and affine[0]['input_size'] == cfg.codec['input_size']
    target = [t for t in cfg.train_pipeline if t['type'] == 'GenerateTarget']
    assert target and target[0]['encoder'] == cfg.codec
    assert cfg.model.head.decoder == cfg.codec
    if 'input_size' in cfg.model.backbone:
        assert tuple(cfg.model.backbone.input_size) == tuple(
            cfg.codec['input_size'])
