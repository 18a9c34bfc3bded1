# The EfficientViT-M0 pose baseline with its backbone initialised from
# Microsoft's ImageNet-1k EfficientViT-M0 weights, as the authors' README
# describes ("change the checkpoint path by modifying `pretrained`"). Make
# the file with tools/model_converters/efficientvit_msra2levitpose.py; the
# stem (stride 4 here, 16 in the classifier) keeps its initialisation.
# StrictPretrained refuses a file that does not fit this backbone.
_base_ = ['./td-hm_efficientvit-m0_8xb64-210e_mpii-256x256.py']

# model settings
model = dict(
    backbone=dict(
        init_cfg=dict(
            type='StrictPretrained',
            checkpoint='checkpoints/efficientvit-m0_in1k_backbone.pth',
            prefix='backbone.')))
