"""A tiny top-down COCO config for reliability tests (not a model recipe).

MobileNetV2 + HeatmapHead at 64x64 on the 4 real COCO images in
``../shared/data``; a few seconds per epoch on CPU. It inherits the LEViTPose
runtime, so it uses the same hooks and checkpoint loading as every LEViTPose
config. The backbone is MMPose's (stable) since these tests are about the
engine, not the model.
"""
_base_ = ['../../../configs/_base_/levitpose_runtime.py']

data_root = '{{ fileDirname }}/../../../../shared/data/mmpose/tests/data/coco/'

train_cfg = dict(by_epoch=True, max_epochs=4, val_interval=100)
optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-3))
param_scheduler = [dict(type='MultiStepLR', milestones=[3], by_epoch=True)]
default_hooks = dict(
    checkpoint=dict(interval=1, max_keep_ckpts=-1), logger=dict(interval=1))
randomness = dict(seed=0)
env_cfg = dict(dist_cfg=dict(backend='gloo'))

codec = dict(
    type='MSRAHeatmap', input_size=(64, 64), heatmap_size=(8, 8), sigma=1)
model = dict(
    type='TopdownPoseEstimator',
    data_preprocessor=dict(
        type='PoseDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True),
    backbone=dict(type='MobileNetV2', widen_factor=1.0, out_indices=(7, )),
    head=dict(
        type='HeatmapHead',
        in_channels=1280,
        out_channels=17,
        deconv_out_channels=(64, 64),
        deconv_kernel_sizes=(4, 4),
        loss=dict(type='KeypointMSELoss', use_target_weight=True),
        decoder=codec),
    test_cfg=dict(flip_test=False))

train_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='GenerateTarget', encoder=codec),
    dict(type='PackPoseInputs')
]
val_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='PackPoseInputs')
]
dataset = dict(
    type='CocoDataset',
    data_root=data_root,
    data_mode='topdown',
    ann_file='test_coco.json',
    data_prefix=dict(img=''))
train_dataloader = dict(
    batch_size=4,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(**dataset, pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=4,
    num_workers=0,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(**dataset, test_mode=True, pipeline=val_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='CocoMetric', ann_file=data_root + 'test_coco.json')
test_evaluator = val_evaluator
