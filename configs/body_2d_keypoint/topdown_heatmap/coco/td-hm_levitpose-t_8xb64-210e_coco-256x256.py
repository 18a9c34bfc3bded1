_base_ = ['./td-hm_levitpose-s_8xb64-210e_coco-256x256.py']

# model settings: LEViTPose-T differs from -S in widths only
model = dict(
    backbone=dict(arch='tiny'),
    head=dict(in_channels=(32, 64, 128), feat_channels=(112, 96)))
