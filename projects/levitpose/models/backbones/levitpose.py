"""LEViTPose backbone: three LeViT/EfficientViT-style stages at strides 4, 8
and 16 built from LEViTPose blocks with CGSR-MHA attention.

The paper (LEViTPose, lightweight efficient vision transformer for pose
estimation) released numbers only; this is a re-implementation from its
description. The block is the sandwich of EfficientViT (Liu et al., CVPR
2023, https://arxiv.org/abs/2305.07027) with attention replaced by CGSR-MHA;
the fusion and layout habits follow timm's ``efficientvit_msra.py``.
"""
from numbers import Integral
from typing import Dict, Sequence, Tuple, Union

from mmpose.registry import MODELS
from mmpose.utils.typing import OptConfigType
from torch import Tensor, nn

from ..layers import LEViTPoseStage, LightStem, SubsampleEmbed
from .staged_backbone import StagedBackbone, parse_out_indices

__all__ = ['LEViTPose', 'parse_input_size', 'parse_out_indices']

#: Feature maps must divide evenly down to the keys/values at stride 32.
SIZE_DIVISOR = 32


def parse_input_size(input_size: Sequence[int]) -> Tuple[int, int]:
    """Validate an ``(w, h)`` input size: two positive multiples of 32.

    Raises:
        ValueError: naming the bad value and what is allowed.
    """
    if (not isinstance(input_size, (tuple, list)) or len(input_size) != 2
            or not all(
                isinstance(v, Integral) and not isinstance(v, bool)
                for v in input_size)):
        raise ValueError('input_size must be a (w, h) pair of ints, got '
                         f'{input_size!r}')
    w, h = (int(v) for v in input_size)
    if w <= 0 or h <= 0 or w % SIZE_DIVISOR or h % SIZE_DIVISOR:
        raise ValueError(f'input_size (w, h) must be positive multiples of '
                         f'{SIZE_DIVISOR} (e.g. (192, 256), (256, 256), '
                         f'(288, 384)), got {input_size!r}')
    return w, h


@MODELS.register_module()
class LEViTPose(StagedBackbone):
    """LEViTPose backbone.

    ``LStem & OPE`` embeds the image at stride 4, ``Subsample & OPE``
    halves the resolution before stages 2 and 3 (strides 8 and 16); each
    stage then stacks LEViTPose blocks
    ``DWConv -> FFN -> CGSR-MHA -> DWConv -> FFN`` (all residual).
    Everything runs in ``(B, C, H, W)`` layout with Conv+BN pairs that
    :meth:`switch_to_deploy` folds away.

    The paper gives the layout but not the widths; the :attr:`arch_zoo`
    values were chosen so that the whole top-down model (this backbone +
    :class:`LFRMHead`, 256x256 input) reproduces the paper's size (T: 1.08M
    params / 0.88 GFLOPs vs 1.09M / 0.89G; S: 2.13M / 1.33G vs 2.16M /
    1.33G; ``tools/analysis_tools/get_flops.py``). ``docs/architecture.md``
    explains every column. In short: keys/values are always reduced to
    stride 32 (``sr_ratios`` 8/4/2) so attention is cheap at every stage;
    four blocks with two groups each keep the operator count (what limits
    batch-1 CPU latency) near MobileNetV2-pose's; the FLOPs sit in dense
    1x1/3x3 convolutions (FFNs, head), which run near the CPU's peak,
    rather than in depthwise work at stride 4.

    Args:
        arch (str | dict): ``'tiny'``, ``'small'`` or a dict with every key
            of :attr:`arch_keys`. Defaults to ``'small'``.
        input_size (tuple[int, int]): ``(w, h)`` as in MMPose codecs; both
            multiples of 32. The model holds no size-specific tables, so
            this only validates the size the model is configured for.
            Defaults to ``(192, 256)``.
        in_channels (int): Image channels. Defaults to 3.
        out_indices (Sequence[int]): Stages to return (0, 1, 2 at strides
            4, 8, 16; negative counts from the end). Defaults to ``(2, )``.
        frozen_stages (int): Stages ``0..frozen_stages`` (the stem is part
            of stage 0) are frozen: eval mode, no gradients. ``-1`` freezes
            nothing. Defaults to -1.
        norm_eval (bool): Keep every BatchNorm in eval mode while training.
            Defaults to False.
        drop_path_rate (float): Stochastic depth rate, increasing linearly
            over the blocks to this value. Defaults to 0.
        deploy (bool): Build with Conv/Linear+BN already fused (to load a
            checkpoint saved after :meth:`switch_to_deploy`).
            Defaults to False.
        init_cfg (dict | list[dict], optional): See :class:`BaseModule`.
            Defaults to None (PyTorch initialisation, zero-initialised
            BN at the end of every residual branch).
    """

    arch_keys = ('stem_channels', 'embed_dims', 'depths', 'num_groups',
                 'key_dims', 'sr_ratios', 'ffn_ratios')
    #: Columns: stem width; channels, blocks, attention groups, query/key
    #: channels per group, key/value reduction and FFN expansion per stage.
    arch_zoo: Dict[str, dict] = {
        # 1.08M params / 0.88 GFLOPs with LFRMHead(feat_channels=(112, 96))
        'tiny':
        dict(
            stem_channels=16,
            embed_dims=(32, 64, 128),
            depths=(1, 1, 2),
            num_groups=(2, 2, 2),
            key_dims=(16, 16, 16),
            sr_ratios=(8, 4, 2),
            ffn_ratios=(3, 3, 3)),
        # 2.13M params / 1.33 GFLOPs with LFRMHead(feat_channels=(136, 96))
        'small':
        dict(
            stem_channels=16,
            embed_dims=(48, 96, 192),
            depths=(1, 1, 2),
            num_groups=(2, 2, 2),
            key_dims=(16, 16, 16),
            sr_ratios=(8, 4, 2),
            ffn_ratios=(3, 3, 3)),
    }

    def __init__(self,
                 arch: Union[str, dict] = 'small',
                 input_size: Tuple[int, int] = (192, 256),
                 in_channels: int = 3,
                 out_indices: Sequence[int] = (2, ),
                 frozen_stages: int = -1,
                 norm_eval: bool = False,
                 drop_path_rate: float = 0.,
                 deploy: bool = False,
                 init_cfg: OptConfigType = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.arch = self._parse_arch(arch)
        self.input_size = parse_input_size(input_size)
        dims = self.arch['embed_dims']
        self._init_stages_options(
            len(dims), out_indices, frozen_stages, norm_eval, dims)
        if not 0. <= drop_path_rate < 1.:
            raise ValueError(
                f'drop_path_rate must be in [0, 1), got {drop_path_rate!r}')

        total = sum(self.arch['depths'])
        rates = [drop_path_rate * i / max(total - 1, 1) for i in range(total)]
        self.stages = nn.ModuleList()
        for i, depth in enumerate(self.arch['depths']):
            if i == 0:
                embed = LightStem(in_channels, self.arch['stem_channels'],
                                  dims[0])
            else:
                embed = SubsampleEmbed(dims[i - 1], dims[i])
            self.stages.append(
                LEViTPoseStage(
                    embed,
                    dims[i],
                    depth,
                    num_groups=self.arch['num_groups'][i],
                    key_dim=self.arch['key_dims'][i],
                    sr_ratio=self.arch['sr_ratios'][i],
                    ffn_ratio=self.arch['ffn_ratios'][i],
                    drop_paths=rates[:depth]))
            rates = rates[depth:]
        self._finish_init(deploy)

    @classmethod
    def _parse_arch(cls, arch: Union[str, dict]) -> dict:
        """Look ``arch`` up in :attr:`arch_zoo` or check a custom dict."""
        if isinstance(arch, str):
            if arch not in cls.arch_zoo:
                raise ValueError(f'arch {arch!r} is not one of '
                                 f'{sorted(cls.arch_zoo)} (or a dict)')
            return dict(cls.arch_zoo[arch])
        if not isinstance(arch, dict):
            raise ValueError(f'arch must be one of {sorted(cls.arch_zoo)} '
                             f'or a dict, got {type(arch).__name__}')
        missing = set(cls.arch_keys) - set(arch)
        unknown = set(arch) - set(cls.arch_keys)
        if missing or unknown:
            raise ValueError(
                f'a custom arch needs exactly the keys {cls.arch_keys}; '
                f'missing {sorted(missing)}, unknown {sorted(unknown)}')
        num_stages = len(arch['embed_dims'])
        for key in cls.arch_keys[1:]:
            if len(arch[key]) != num_stages:
                raise ValueError(f'arch[{key!r}] has {len(arch[key])} '
                                 f'entries, embed_dims has {num_stages}')
        return dict(arch)

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        """Return the features of :attr:`out_indices`.

        Args:
            x (Tensor): Images ``(B, C, H, W)``, ``H`` and ``W`` multiples
                of 32.

        Returns:
            tuple[Tensor]: ``(B, C_i, H / s_i, W / s_i)`` for each selected
            stage ``i`` with stride ``s_i`` in 4, 8, 16.

        Raises:
            ValueError: if ``H`` or ``W`` is not a multiple of 32.
        """
        h, w = x.shape[-2:]
        if h % SIZE_DIVISOR or w % SIZE_DIVISOR:
            raise ValueError(f'input height and width must be multiples of '
                             f'{SIZE_DIVISOR}, got {h}x{w}')
        return self._forward_stages(x)
