# LEViTPose-T on COCO: LEViTPose-S with the narrower widths of 'tiny'.
_base_ = ['../_base_/coco-256x256.py']

# model settings: T differs from S in widths only
model = dict(backbone=dict(arch='tiny'), head=dict(in_channels=112))
