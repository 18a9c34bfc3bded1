"""LFRM head: restores stride-16 features to stride-4 keypoint heatmaps
with feature refinement (LEViTPose's lightweight feature restoration
module)."""
from typing import List, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from mmengine.structures import PixelData
from mmpose.evaluation.functional import pose_pck_accuracy
from mmpose.models.heads.base_head import BaseHead
from mmpose.models.utils.tta import flip_heatmaps
from mmpose.registry import KEYPOINT_CODECS, MODELS
from mmpose.utils.tensor_utils import to_numpy
from mmpose.utils.typing import (ConfigType, Features, OptConfigType,
                                 OptSampleList, SampleList)
from torch import Tensor, nn

from ..layers import ConvBN, fuse_modules

__all__ = ['LFRMHead']


class _RestoreStep(nn.Module):
    """One x2 restoration step with refinement.

    ``1x1 conv -> pixel shuffle`` doubles the resolution (the dense work
    stays at the low resolution), an optional lateral ``1x1 conv`` adds the
    backbone feature of the new stride, and a residual dense ``3x3 conv``
    refines the result.

    Args:
        in_channels (int): Channels of the low-resolution input.
        out_channels (int): Channels after the step.
        skip_channels (int, optional): Channels of the backbone feature at
            the output stride; None for no lateral. Defaults to None.
    """

    upscale = 2

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 skip_channels: Optional[int] = None) -> None:
        super().__init__()
        self.up = ConvBN(in_channels, out_channels * self.upscale**2)
        self.lateral = (None if skip_channels is None else ConvBN(
            skip_channels, out_channels))
        self.act = nn.ReLU()
        self.refine = ConvBN(out_channels, out_channels, 3)

    def forward(self, x: Tensor, skip: Optional[Tensor] = None) -> Tensor:
        """Upsample ``x`` by 2 (adding ``skip``) and refine it."""
        x = F.pixel_shuffle(self.up(x), self.upscale)
        if self.lateral is not None:
            x = x + self.lateral(skip)
        x = self.act(x)
        return self.act(x + self.refine(x))


@MODELS.register_module()
class LFRMHead(BaseHead):
    """Top-down heatmap head of LEViTPose (LFRM).

    Two x2 restoration steps bring stride-16 features to stride-4 heatmaps
    (``K`` channels, one per keypoint). With a sequence ``in_channels`` the
    head also takes the stride-8 and stride-4 backbone features as
    laterals (backbone ``out_indices=(0, 1, 2)``).

    Args:
        in_channels (int | Sequence[int]): Channels of the stride-16 feature
            (the last input), or of every input feature from stride 4 to 16
            (``len(feat_channels) + 1`` of them).
        out_channels (int): Keypoints ``K``.
        feat_channels (Sequence[int]): Channels after each restoration step
            (stride 8, then stride 4). Defaults to ``(64, 32)``.
        loss (dict): Keypoint loss config. Defaults to
            ``KeypointMSELoss`` with target weights.
        decoder (dict, optional): Codec config (``MSRAHeatmap``) for
            decoding predictions. Defaults to None.
        init_cfg (dict | list[dict], optional): See :class:`BaseModule`.
            Defaults to None (the final layer starts at ``N(0, 0.001)``).
    """

    def __init__(self,
                 in_channels: Union[int, Sequence[int]],
                 out_channels: int,
                 feat_channels: Sequence[int] = (64, 32),
                 loss: ConfigType = dict(
                     type='KeypointMSELoss', use_target_weight=True),
                 decoder: OptConfigType = None,
                 init_cfg: OptConfigType = None) -> None:
        super().__init__(init_cfg)
        num_steps = len(feat_channels)
        if num_steps < 1:
            raise ValueError('feat_channels must name at least one step')
        if isinstance(in_channels, int):
            skips: List[Optional[int]] = [None] * num_steps
            top = in_channels
        else:
            in_channels = tuple(in_channels)
            if len(in_channels) != num_steps + 1:
                raise ValueError(
                    f'in_channels {in_channels} must list {num_steps + 1} '
                    f'features (one per stride) for feat_channels '
                    f'{tuple(feat_channels)}, or be one int')
            top = in_channels[-1]
            skips = list(in_channels[-2::-1])
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.loss_module = MODELS.build(loss)
        self.decoder = (
            KEYPOINT_CODECS.build(decoder) if decoder is not None else None)
        self.steps = nn.ModuleList()
        for channels, skip in zip(feat_channels, skips):
            self.steps.append(_RestoreStep(top, channels, skip))
            top = channels
        self.final_layer = nn.Conv2d(top, out_channels, 1)
        nn.init.normal_(self.final_layer.weight, std=1e-3)
        nn.init.zeros_(self.final_layer.bias)
        self.deploy = False

    def forward(self, feats: Tuple[Tensor, ...]) -> Tensor:
        """Heatmaps ``(B, K, H/4, W/4)`` from backbone features.

        Args:
            feats (tuple[Tensor]): Backbone features, ascending stride; the
                last one is at stride 16.

        Returns:
            Tensor: The heatmaps.
        """
        x = feats[-1]
        multi = not isinstance(self.in_channels, int)
        for i, step in enumerate(self.steps):
            x = step(x, feats[-2 - i] if multi else None)
        return self.final_layer(x)

    def predict(self,
                feats: Features,
                batch_data_samples: OptSampleList,
                test_cfg: ConfigType = {}) -> SampleList:
        """Decode keypoints, with optional flip test, as MMPose's
        ``HeatmapHead`` does.

        Args:
            feats (tuple[Tensor] | list[tuple[Tensor]]): Features, or
                ``[features, features of the flipped image]`` with
                ``test_cfg['flip_test']``.
            batch_data_samples (list[PoseDataSample]): The data samples.
            test_cfg (dict): ``flip_test``, ``flip_mode``,
                ``shift_heatmap``, ``output_heatmaps``. Defaults to {}.

        Returns:
            list[InstanceData] | tuple: ``keypoints`` ``(N, K, 2)`` and
            ``keypoint_scores`` ``(N, K)`` per sample; with
            ``output_heatmaps`` also a list of ``PixelData`` heatmaps.
        """
        if test_cfg.get('flip_test', False):
            if not (isinstance(feats, list) and len(feats) == 2):
                raise ValueError('flip_test needs [feats, flipped_feats]')
            flip_indices = batch_data_samples[0].metainfo['flip_indices']
            _feats, _feats_flip = feats
            heatmaps_flip = flip_heatmaps(
                self.forward(_feats_flip),
                flip_mode=test_cfg.get('flip_mode', 'heatmap'),
                flip_indices=flip_indices,
                shift_heatmap=test_cfg.get('shift_heatmap', False))
            batch_heatmaps = (self.forward(_feats) + heatmaps_flip) * 0.5
        else:
            batch_heatmaps = self.forward(feats)

        preds = self.decode(batch_heatmaps)
        if test_cfg.get('output_heatmaps', False):
            pred_fields = [
                PixelData(heatmaps=heatmaps)
                for heatmaps in batch_heatmaps.detach()
            ]
            return preds, pred_fields
        return preds

    def loss(self,
             feats: Tuple[Tensor, ...],
             batch_data_samples: OptSampleList,
             train_cfg: ConfigType = {}) -> dict:
        """MSE heatmap loss (with target weights) and PCK accuracy.

        Args:
            feats (tuple[Tensor]): Backbone features.
            batch_data_samples (list[PoseDataSample]): Samples with
                ``gt_fields.heatmaps`` and
                ``gt_instance_labels.keypoint_weights``.
            train_cfg (dict): ``compute_acc`` (default True) adds the PCK
                accuracy ``acc_pose``. Defaults to {}.

        Returns:
            dict: ``loss_kpt`` (and ``acc_pose``).
        """
        pred_fields = self.forward(feats)
        gt_heatmaps = torch.stack(
            [d.gt_fields.heatmaps for d in batch_data_samples])
        keypoint_weights = torch.cat([
            d.gt_instance_labels.keypoint_weights for d in batch_data_samples
        ])
        losses = dict()
        loss = self.loss_module(pred_fields, gt_heatmaps, keypoint_weights)
        if isinstance(loss, dict):
            losses.update(loss)
        else:
            losses.update(loss_kpt=loss)
        if train_cfg.get('compute_acc', True):
            _, avg_acc, _ = pose_pck_accuracy(
                output=to_numpy(pred_fields),
                target=to_numpy(gt_heatmaps),
                mask=to_numpy(keypoint_weights) > 0)
            losses.update(
                acc_pose=torch.tensor(avg_acc, device=gt_heatmaps.device))
        return losses

    def switch_to_deploy(self, test_cfg: Optional[dict] = None) -> None:
        """Fold every BatchNorm into its convolution, once.

        Args:
            test_cfg (dict, optional): Unused; MMPose passes it.
                Defaults to None.
        """
        if self.deploy:
            return
        fuse_modules(self)
        self.deploy = True
