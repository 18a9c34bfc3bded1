# The paper's baseline: EfficientViT-M0 (stages at strides 4/8/16) with
# MMPose's transposed-convolution HeatmapHead, trained with the same recipe
# and data as LEViTPose. The two deconvolution widths are our choice (the
# paper gives the size only): 152 gives the paper's 3.04M / 1.89G within
# 2 % in its FLOP convention (tools/analysis_tools/get_flops.py). The
# backbone trains from scratch here; td-hm_efficientvit-m0-in1k_... starts it
# from Microsoft's ImageNet weights.
_base_ = ['../_base_/mpii-256x256.py']

# model settings
model = dict(
    backbone=dict(
        _delete_=True,
        type='EfficientViT',
        arch='m0',
        input_size={{_base_.codec.input_size}},
        out_indices=(2, )),
    head=dict(
        _delete_=True,
        type='HeatmapHead',
        in_channels=192,
        out_channels=16,
        deconv_out_channels=(152, 152),
        deconv_kernel_sizes=(4, 4),
        loss=dict(type='KeypointMSELoss', use_target_weight=True),
        decoder={{_base_.codec}}))
