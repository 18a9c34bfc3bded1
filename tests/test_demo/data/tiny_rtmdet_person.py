# A deliberately tiny RTMDet (1 class: person) for testing the MMDetection
# path of the demo offline: tests build it with random weights and save a
# checkpoint from it. It detects nothing meaningful.
_base_ = ['mmdet::rtmdet/rtmdet_tiny_8xb32-300e_coco.py']

model = dict(
    backbone=dict(deepen_factor=0.167, widen_factor=0.125, init_cfg=None),
    neck=dict(in_channels=[32, 64, 128], out_channels=32, num_csp_blocks=1),
    bbox_head=dict(in_channels=32, feat_channels=32, num_classes=1),
    test_cfg=dict(score_thr=0.0, nms_pre=100, max_per_img=3))

test_pipeline = [
    dict(type='LoadImageFromFile', backend_args=None),
    dict(type='Resize', scale=(320, 320), keep_ratio=True),
    dict(type='Pad', size=(320, 320), pad_val=dict(img=(114, 114, 114))),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                   'scale_factor'))
]
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
val_dataloader = test_dataloader
