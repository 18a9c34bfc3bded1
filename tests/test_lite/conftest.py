"""Fixtures of the lite runtime tests: real COCO samples and an ONNX model
exported from LEViTPose-T with fixed random weights (no download)."""
import json
from pathlib import Path

import numpy as np
import pytest

COCO_DIR = Path('mmpose/tests/data/coco')
CONFIG = ('configs/body_2d_keypoint/topdown_heatmap/coco/'
          'td-hm_levitpose-t_8xb64-210e_coco-256x256.py')


@pytest.fixture(scope='session')
def coco_samples(shared_data):
    """``[(image_path, boxes_xyxy (N, 4), keypoints (N, 17, 3))]`` of the
    real COCO val2017 persons in ``test_coco.json`` (those with keypoints).
    """
    root = shared_data / COCO_DIR
    data = json.loads((root / 'test_coco.json').read_text())
    samples = []
    for image in data['images']:
        anns = [
            a for a in data['annotations']
            if a['image_id'] == image['id'] and a['num_keypoints'] > 0
        ]
        boxes = np.array([a['bbox'] for a in anns], dtype=np.float32)
        boxes[:, 2:] += boxes[:, :2]  # xywh -> xyxy
        keypoints = np.array([a['keypoints'] for a in anns],
                             dtype=np.float32).reshape(len(anns), 17, 3)
        samples.append((root / image['file_name'], boxes, keypoints))
    return samples


def randomize_norm_stats(model, seed: int = 0) -> None:
    """Give every BatchNorm non-trivial statistics and affine parameters,
    so fusion or export bugs change the outputs."""
    import torch
    from torch.nn.modules.batchnorm import _BatchNorm
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, _BatchNorm):
                n = module.num_features
                module.running_mean.copy_(
                    torch.randn(n, generator=generator) * 0.1)
                module.running_var.copy_(
                    torch.rand(n, generator=generator) + 0.5)
                if module.affine:
                    module.weight.copy_(
                        torch.rand(n, generator=generator) + 0.5)
                    module.bias.copy_(
                        torch.randn(n, generator=generator) * 0.1)


@pytest.fixture(scope='session')
def levitpose_t_coco(repo_root, tmp_path_factory):
    """``(config, checkpoint, onnx_path)``: LEViTPose-T (COCO, 256x256)
    with seeded random weights saved as a checkpoint and exported to ONNX
    with ``levitpose.deploy`` (the same path as ``pytorch2onnx.py``)."""
    import torch
    from mmengine.config import Config
    from mmpose.apis import init_model

    import levitpose  # noqa: F401
    from levitpose.deploy import (default_input_shape, export_onnx,
                                  load_deploy_model, preprocessor_metadata)
    torch.manual_seed(0)
    config = str(repo_root / CONFIG)
    work = tmp_path_factory.mktemp('levitpose_t_coco')
    model = init_model(config, None, device='cpu')
    randomize_norm_stats(model)
    checkpoint = str(work / 'levitpose-t_random.pth')
    torch.save({'state_dict': model.state_dict()}, checkpoint)
    fused = load_deploy_model(config, checkpoint)
    cfg = Config.fromfile(config)
    onnx_path = str(work / 'levitpose-t.onnx')
    export_onnx(
        fused,
        onnx_path,
        default_input_shape(cfg),
        metadata=preprocessor_metadata(cfg))
    return config, checkpoint, onnx_path


@pytest.fixture(scope='session')
def shipped_onnx(repo_root, tmp_path_factory):
    """The first shipped checkpoint (``checkpoints/X.pth`` trained with
    ``configs/quickstart/X.py``) exported to ONNX: a trained model, whose
    heatmaps have clear maxima (random weights give flat ones)."""
    from mmengine.config import Config

    from levitpose.deploy import (default_input_shape, export_onnx,
                                  load_deploy_model, preprocessor_metadata)
    shipped = [(repo_root / 'configs/quickstart' / f'{c.stem}.py', c)
               for c in sorted((repo_root / 'checkpoints').glob('*.pth'))]
    shipped = [(str(cfg), str(c)) for cfg, c in shipped if cfg.is_file()]
    assert shipped, 'no checkpoints/X.pth with configs/quickstart/X.py'
    config, checkpoint = shipped[0]
    onnx_path = str(tmp_path_factory.mktemp('shipped') / 'shipped.onnx')
    cfg = Config.fromfile(config)
    export_onnx(
        load_deploy_model(config, checkpoint),
        onnx_path,
        default_input_shape(cfg),
        metadata=preprocessor_metadata(cfg))
    return onnx_path
