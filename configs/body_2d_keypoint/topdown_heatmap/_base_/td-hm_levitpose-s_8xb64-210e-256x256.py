# The LEViTPose paper's recipe (MMPose 0.29 top-down heatmap training) and
# model (LEViTPose-S + LFRM), shared by the COCO and MPII configs; the
# dataset bases beside this file add the data, the keypoint count and the
# metric.
_base_ = ['../../../_base_/levitpose_runtime.py']

# runtime
train_cfg = dict(max_epochs=210, val_interval=10)

# optimizer: Adam, lr 5e-4, no weight decay (MMPose 0.29's recipe)
optim_wrapper = dict(optimizer=dict(type='Adam', lr=5e-4))

# learning policy
param_scheduler = [
    dict(
        type='LinearLR', begin=0, end=500, start_factor=0.001,
        by_epoch=False),  # warm-up
    dict(
        type='MultiStepLR',
        begin=0,
        end=210,
        milestones=[170, 200],
        gamma=0.1,
        by_epoch=True)
]

# automatically scaling LR based on the actual training batch size
auto_scale_lr = dict(base_batch_size=512)  # 8 GPUs x 64 samples

# codec settings: the only place input and heatmap sizes live, as (w, h)
codec = dict(
    type='MSRAHeatmap', input_size=(256, 256), heatmap_size=(64, 64), sigma=2)

# model settings: the dataset base sets head.out_channels (keypoints). The
# backbone has no init_cfg: LEViTPose-T and -S train from scratch (no
# ImageNet weights exist at their widths). A backbone checkpoint is set in
# MMPose's way, strictly: backbone.init_cfg=dict(type='StrictPretrained',
# checkpoint=<.pth>, prefix='backbone.') (docs/training.md)
model = dict(
    type='TopdownPoseEstimator',
    data_preprocessor=dict(
        type='PoseDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True),
    backbone=dict(
        type='LEViTPose',
        arch='small',
        input_size=codec['input_size'],
        out_indices=(2, )),
    head=dict(
        type='LFRMHead',
        in_channels=184,
        out_channels=17,
        feat_channels=(128, 128),
        deconv_groups=(16, 16),
        loss=dict(type='KeypointMSELoss', use_target_weight=True),
        decoder=codec),
    test_cfg=dict(
        flip_test=True,
        flip_mode='heatmap',
        shift_heatmap=True,
    ))

# pipelines (the dataset bases set the train pipeline's augmentation)
val_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='PackPoseInputs')
]

# base dataset settings (the dataset bases set dataset_type and data_root)
data_mode = 'topdown'

# data loaders (the dataset bases fill in the dataset type, root, files and
# the train pipeline)
train_dataloader = dict(
    batch_size=64,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(data_mode=data_mode))
val_dataloader = dict(
    batch_size=32,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False, round_up=False),
    dataset=dict(data_mode=data_mode, test_mode=True, pipeline=val_pipeline))
test_dataloader = val_dataloader
