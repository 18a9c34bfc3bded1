"""Smoke tests: the whole OpenMMLab stack imports and works in .venv."""
import importlib
import json
import subprocess
import sys

import pytest
import torch

STACK = ('torch', 'torchvision', 'mmengine', 'mmcv', 'mmdet', 'mmpose',
         'xtcocotools.coco', 'cv2', 'levitpose', 'levitpose_lite')


@pytest.mark.parametrize('name', STACK)
def test_stack_imports(name):
    importlib.import_module(name)


def test_pinned_versions():
    import cv2
    import mmcv
    import mmdet
    import mmengine
    import mmpose
    import numpy
    assert torch.__version__.split('+')[0] == '2.14.1'
    assert mmcv.__version__ == '2.1.0'
    assert mmengine.__version__ == '0.10.7'
    assert mmpose.__version__ == '1.3.2'
    assert mmdet.__version__ == '3.3.0'
    assert int(numpy.__version__.split('.')[0]) == 2
    assert int(cv2.__version__.split('.')[0]) == 4
    assert hasattr(cv2, 'HOGDescriptor')


def test_mmcv_ops_are_compiled():
    from mmcv import _ext  # the C++ extension, absent in an ops-less build
    assert hasattr(_ext, 'nms')


def test_nms_on_real_detector_boxes(shared_data):
    """mmcv.ops.nms matches a plain-Python NMS on real detector boxes."""
    from mmcv.ops import nms
    dets = json.loads((shared_data / 'mmpose/tests/data/coco/'
                       'test_coco_det_AP_H_56.json').read_text())
    image_id = dets[0]['image_id']
    rows = [d for d in dets if d['image_id'] == image_id]
    assert len(rows) > 3
    boxes = torch.tensor([[x, y, x + w, y + h]
                          for x, y, w, h in (d['bbox'] for d in rows)])
    scores = torch.tensor([d['score'] for d in rows])
    _, keep = nms(boxes, scores, iou_threshold=0.3)
    assert keep.tolist() == _reference_nms(boxes, scores, 0.3)
    assert 0 < len(keep) < len(rows)  # the real boxes overlap: some go


def _reference_nms(boxes, scores, thr):
    """Greedy NMS written out plainly (mmcv uses the +0 pixel convention)."""
    order = scores.argsort(descending=True).tolist()
    keep = []
    while order:
        i = order.pop(0)
        keep.append(i)
        rest = []
        for j in order:
            x1 = max(boxes[i, 0], boxes[j, 0])
            y1 = max(boxes[i, 1], boxes[j, 1])
            x2 = min(boxes[i, 2], boxes[j, 2])
            y2 = min(boxes[i, 3], boxes[j, 3])
            inter = max(0., x2 - x1) * max(0., y2 - y1)
            area_i = (boxes[i, 2] - boxes[i, 0]) * (boxes[i, 3] - boxes[i, 1])
            area_j = (boxes[j, 2] - boxes[j, 0]) * (boxes[j, 3] - boxes[j, 1])
            if inter / (area_i + area_j - inter) <= thr:
                rest.append(j)
        order = rest
    return keep


def test_levitpose_registers_into_mmpose():
    from mmpose.registry import MODELS

    import levitpose  # noqa: F401
    assert MODELS.get('LEViTPose') is not None
    assert MODELS.get('LFRMHead') is not None


def test_registered_backbone_builds_from_config_dict():
    from mmengine.registry import init_default_scope
    from mmpose.registry import MODELS

    import levitpose  # noqa: F401
    init_default_scope('mmpose')
    model = MODELS.build(
        dict(type='LEViTPose', arch='tiny', input_size=(192, 256)))
    feats = model.eval()(torch.rand(1, 3, 256, 192))
    assert feats[-1].shape[-2:] == (16, 12)


def test_pkg_resources_available():
    """mmengine's ``mmpose::`` config lookup and mim import it."""
    import pkg_resources  # noqa: F401


def test_mim_finds_mmpose():
    out = subprocess.run([sys.executable, '-m', 'mim', 'list'],
                         capture_output=True,
                         text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert 'mmpose' in out.stdout and '1.3.2' in out.stdout
