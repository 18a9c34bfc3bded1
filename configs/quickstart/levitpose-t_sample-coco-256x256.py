"""Quickstart: train LEViTPose-T from scratch on 4 bundled COCO images.

This config demonstrates that training learns: it trains LEViTPose-T from
random initialisation on the 12 annotated people of ``data/sample-coco``
(4 real COCO val2017 images, see its README) and evaluates COCO keypoint AP
(``CocoMetric``, ground-truth boxes) on the same images. It targets
AP >= 0.3 within 5 minutes on 2 CPU cores; measured with
``/usr/bin/time python tools/train.py <this config>`` (80 epochs, seed 0)
on the rebuilt LEViTPose-T: AP 1.000 in 3 min 56 s wall on 2 cores
(nearly idle; 43 min with the previous, milder box jitter while four
other jobs shared the cores, load average 5-8);
``tests/test_docs/test_code_blocks.py`` prints the AP. Training
and evaluating on the same 12 people measures fitting, not generalisation:
it is a smoke test of the whole training path (data, augmentation, model,
loss, optimiser, checkpoints, evaluation), not a benchmark. The full recipe
is the config inherited below.

    mim train mmpose configs/quickstart/levitpose-t_sample-coco-256x256.py
    python tools/misc/publish_model.py \
        work_dirs/levitpose-t_sample-coco-256x256/epoch_80.pth \
        checkpoints/levitpose-t_sample-coco-256x256.pth
    mim test mmpose configs/quickstart/levitpose-t_sample-coco-256x256.py \
        -C checkpoints/levitpose-t_sample-coco-256x256.pth
"""
_base_ = [
    '../body_2d_keypoint/topdown_heatmap/coco/'
    'td-hm_levitpose-t_8xb64-210e_coco-256x256.py'
]

# runtime: a short schedule, validated once at the end
max_epochs = 80
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
randomness = dict(seed=0)
default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(interval=max_epochs, save_best=None, max_keep_ckpts=1))

# optimizer: a higher learning rate than the full recipe, no weight decay
optim_wrapper = dict(optimizer=dict(type='AdamW', lr=4e-3, weight_decay=0.))

# learning policy: short warm-up, then cosine decay to 1% of the peak
param_scheduler = [
    dict(type='LinearLR', begin=0, end=20, start_factor=0.01,
         by_epoch=False),  # warm-up
    dict(
        type='CosineAnnealingLR',
        begin=0,
        end=max_epochs,
        eta_min=4e-5,
        by_epoch=True)
]
auto_scale_lr = dict(base_batch_size=4)  # the batch size used below

# model: no stochastic depth and no flip test for a tiny data set
model = dict(backbone=dict(drop_path_rate=0.), test_cfg=dict(flip_test=False))

# data: the bundled samples, evaluated with ground-truth boxes
data_root = 'data/sample-coco/'
ann_file = 'annotations/person_keypoints_sample.json'

# pipelines: moderate box jitter (MMPose's default is shift 0.16, scale
# 0.5-1.5, rotation 80), so 12 people are fitted in minutes and the model
# still sees crops as loose as a detector's
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(
        type='RandomBBoxTransform',
        shift_factor=0.1,
        scale_factor=(0.75, 1.25),
        rotate_factor=10.),
    dict(type='TopdownAffine', input_size={{_base_.codec.input_size}}),
    dict(type='GenerateTarget', encoder={{_base_.codec}}),
    dict(type='PackPoseInputs')
]

# data loaders: workers=0 keeps augmentation in the main process's random
# stream, which RNGStateHook saves, so `--resume` continues it exactly
train_dataloader = dict(
    batch_size=4,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(
        data_root=data_root,
        ann_file=ann_file,
        data_prefix=dict(img='images/'),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=16,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(
        data_root=data_root,
        ann_file=ann_file,
        bbox_file=None,
        data_prefix=dict(img='images/')))
test_dataloader = val_dataloader

# evaluators
val_evaluator = dict(ann_file=data_root + ann_file)
test_evaluator = val_evaluator
