"""LEViTPoseVisualizer: MMPose's visualizer, drawing under NumPy 2."""
import cv2
import numpy as np
from mmengine.config import Config
from mmengine.structures import InstanceData
from mmpose.structures import PoseDataSample

import levitpose  # noqa: F401  registers the visualizer

CONFIG = ('configs/body_2d_keypoint/topdown_heatmap/coco/'
          'td-hm_levitpose-t_8xb64-210e_coco-256x256.py')


def _sample(keypoints):
    sample = PoseDataSample()
    sample.pred_instances = InstanceData(
        keypoints=keypoints[None],
        keypoint_scores=np.ones((1, len(keypoints))),
        bboxes=np.array([[0., 0., 100., 100.]]))
    return sample


def test_configs_select_it_and_it_draws_every_keypoint(repo_root, shared_data):
    from mmpose.registry import VISUALIZERS
    cfg = Config.fromfile(str(repo_root / CONFIG))
    assert cfg.visualizer.type == 'LEViTPoseVisualizer'
    vis_cfg = dict(
        cfg.visualizer,
        name='test_levitpose_visualizer',
        radius=3,
        vis_backends=None)
    visualizer = VISUALIZERS.build(vis_cfg)
    visualizer.set_dataset_meta(dict(num_keypoints=17))
    img = cv2.imread(
        str(shared_data / 'mmpose/tests/data/coco/000000000785.jpg'))
    rng = np.random.default_rng(0)
    kpts = rng.uniform(20, min(img.shape[:2]) - 20, size=(17, 2))
    visualizer.add_datasample(
        'x',
        img[..., ::-1].copy(),
        _sample(kpts),
        draw_gt=False,
        draw_bbox=False,
        kpt_thr=0.)
    drawn = visualizer.get_image()[..., ::-1]
    changed = (drawn != img).any(axis=2)
    for x, y in kpts.round().astype(int):  # a disc at every keypoint
        assert changed[y, x]
