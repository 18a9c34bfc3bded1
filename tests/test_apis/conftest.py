"""Fixtures of the API tests: the LEViTPose-T COCO model, built once."""
import json

import pytest
import torch

COCO_T_CONFIG = ('configs/body_2d_keypoint/topdown_heatmap/coco/'
                 'td-hm_levitpose-t_8xb64-210e_coco-256x256.py')


@pytest.fixture(scope='module')
def pose_config(repo_root):
    return str(repo_root / COCO_T_CONFIG)


@pytest.fixture(scope='module')
def pose_model(pose_config):
    from levitpose.apis import init_pose_model
    torch.manual_seed(0)
    return init_pose_model(pose_config, None, device='cpu')


@pytest.fixture(scope='module')
def pose_checkpoint(pose_model, tmp_path_factory):
    """A checkpoint saved from the (untrained) model, with dataset meta."""
    path = tmp_path_factory.mktemp('ckpt') / 'levitpose-t.pth'
    torch.save(
        dict(
            state_dict=pose_model.state_dict(),
            meta=dict(dataset_meta=pose_model.dataset_meta)), str(path))
    return str(path)


@pytest.fixture(scope='module')
def coco_sample(shared_data):
    """(image path, annotations by image file name) of the COCO samples."""
    folder = shared_data / 'mmpose' / 'tests' / 'data' / 'coco'
    data = json.loads((folder / 'test_coco.json').read_text())
    names = {img['id']: img['file_name'] for img in data['images']}
    boxes = {}
    for ann in data['annotations']:
        boxes.setdefault(names[ann['image_id']], []).append(ann['bbox'])
    return folder, boxes
