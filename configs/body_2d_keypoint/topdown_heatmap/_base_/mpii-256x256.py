# MPII for the paper recipe: 16 keypoints, PCKh@0.5 with the head boxes of
# the official validation ground truth, the best checkpoint by PCK.
_base_ = ['./td-hm_levitpose-s_8xb64-210e-256x256.py']

# hooks
default_hooks = dict(checkpoint=dict(save_best='PCK', rule='greater'))

# model settings
model = dict(head=dict(out_channels=16))

# base dataset settings
dataset_type = 'ValidatedMpiiDataset'  # checks annotations at build time
data_root = 'data/mpii/'

# pipelines
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='RandomBBoxTransform', shift_prob=0),
    dict(type='TopdownAffine', input_size={{_base_.codec.input_size}}),
    dict(type='GenerateTarget', encoder={{_base_.codec}}),
    dict(type='PackPoseInputs')
]

# data loaders
train_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='annotations/mpii_train.json',
        data_prefix=dict(img='images/'),
        pipeline=train_pipeline,
    ))
val_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='annotations/mpii_val.json',
        headbox_file=f'{data_root}annotations/mpii_gt_val.mat',
        data_prefix=dict(img='images/'),
    ))
test_dataloader = val_dataloader

# evaluators
val_evaluator = dict(type='MpiiPCKAccuracy')
test_evaluator = val_evaluator
