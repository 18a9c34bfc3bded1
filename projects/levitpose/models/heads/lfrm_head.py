"""LFRM: LEViTPose's lightweight feature recovery module (the head).

The paper: "a lightweight feature recovery module (LFRM) is designed by
introducing pointwise convolution and group transposed convolution". Each
x2 step is a pointwise convolution (mixes channels, which grouped layers
cannot) then a group transposed convolution (upsamples), each followed by
BN and ReLU; two steps bring stride 16 to stride 4, and a final 1x1
convolution gives one heatmap per keypoint.
"""
from typing import Optional, Sequence, Tuple, Union

from mmpose.models.heads import HeatmapHead
from mmpose.registry import KEYPOINT_CODECS, MODELS
from mmpose.utils.typing import ConfigType, OptConfigType
from torch import Tensor, nn

from ..layers import ConvBN, DeconvBN, fuse_modules

__all__ = ['LFRMHead']


@MODELS.register_module()
class LFRMHead(HeatmapHead):
    """Top-down heatmap head of LEViTPose (LFRM).

    ``len(feat_channels)`` steps, each ``1x1 ConvBN -> ReLU ->
    group ConvTranspose 4x4/2 + BN -> ReLU``, then a ``1x1`` convolution to
    ``K`` heatmaps. Only construction and :meth:`forward` differ from
    MMPose's :class:`HeatmapHead` (as in MMPose's ``ViPNASHead``), so the
    loss, decoding and flip test are MMPose's own.

    Args:
        in_channels (int | Sequence[int]): Channels of the backbone's last
            (stride-16) feature; a sequence means its last entry.
        out_channels (int): Keypoints ``K``.
        feat_channels (Sequence[int]): Channels of each step (stride 8, 4).
            Defaults to ``(128, 128)``.
        deconv_groups (Sequence[int]): Groups of each step's transposed
            convolution. Defaults to ``(16, 16)``.
        loss (dict): Keypoint loss config. Defaults to ``KeypointMSELoss``
            with target weights.
        decoder (dict, optional): Codec config for decoding predictions.
            Defaults to None.
        init_cfg (dict | list[dict], optional): See :class:`BaseModule`.
            Defaults to :attr:`HeatmapHead.default_init_cfg`.
    """

    def __init__(self,
                 in_channels: Union[int, Sequence[int]],
                 out_channels: int,
                 feat_channels: Sequence[int] = (128, 128),
                 deconv_groups: Sequence[int] = (16, 16),
                 loss: ConfigType = dict(
                     type='KeypointMSELoss', use_target_weight=True),
                 decoder: OptConfigType = None,
                 init_cfg: OptConfigType = None) -> None:
        if init_cfg is None:
            init_cfg = self.default_init_cfg
        super(HeatmapHead, self).__init__(init_cfg)
        feat_channels, deconv_groups = tuple(feat_channels), tuple(
            deconv_groups)
        if not feat_channels or len(feat_channels) != len(deconv_groups):
            raise ValueError(
                f'feat_channels {feat_channels} and deconv_groups '
                f'{deconv_groups} must be non-empty and of equal length')
        for channels, groups in zip(feat_channels, deconv_groups):
            if groups < 1 or channels % groups:
                raise ValueError(f'a step of {channels} channels cannot have '
                                 f'{groups} deconvolution groups')
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.loss_module = MODELS.build(loss)
        self.decoder = (
            KEYPOINT_CODECS.build(decoder) if decoder is not None else None)
        top = in_channels if isinstance(in_channels, int) else in_channels[-1]
        steps = []
        for channels, groups in zip(feat_channels, deconv_groups):
            steps += [
                ConvBN(top, channels),
                nn.ReLU(),
                DeconvBN(channels, channels, groups),
                nn.ReLU()
            ]
            top = channels
        self.deconv_layers = nn.Sequential(*steps)
        self.conv_layers = nn.Identity()
        self.final_layer = nn.Conv2d(top, out_channels, 1)
        self.deploy = False

    def forward(self, feats: Tuple[Tensor, ...]) -> Tensor:
        """Heatmaps ``(B, K, H/4, W/4)`` from the last (stride-16) feature.

        Args:
            feats (tuple[Tensor]): Backbone features; the last is used.

        Returns:
            Tensor: The heatmaps.
        """
        return self.final_layer(self.deconv_layers(feats[-1]))

    def switch_to_deploy(self, test_cfg: Optional[dict] = None) -> None:
        """Fold every BatchNorm into its (transposed) convolution, once.

        Args:
            test_cfg (dict, optional): Unused; MMPose passes it.
                Defaults to None.
        """
        if self.deploy:
            return
        fuse_modules(self)
        self.deploy = True
