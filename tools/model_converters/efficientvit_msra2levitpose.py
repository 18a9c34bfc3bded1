"""Convert Microsoft's EfficientViT-M0 ImageNet checkpoint for the pose
baseline's backbone.

    python tools/model_converters/efficientvit_msra2levitpose.py \
        efficientvit_m0.pth checkpoints/efficientvit-m0_in1k_backbone.pth

Reads the Cream layout (Microsoft's released ``efficientvit_m0.pth``) or
timm's ``efficientvit_m0`` state dict (detected from the keys), maps the
three stages onto the backbone of ``--config`` (default: the EfficientViT-M0
MPII config), and prints what it loaded, what it skipped (the stride-16
stem, the classifier, bias tables of another window size) and what keeps
its initialisation. A file that does not fit is refused in one line (exit
1) and nothing is written. Load the result in a config with
``model.backbone.init_cfg=dict(type='StrictPretrained', checkpoint=<out>,
prefix='backbone.')``; see docs/training.md.

The conversion: two published layouts of the same weights are read (their
key names were learnt from the two sources; no code of theirs is used):

* ``cream``: Microsoft's ``Cream/EfficientViT/classification/model/
  efficientvit.py``, whose released files (``efficientvit_m0.pth``) hold
  ``{'model': state_dict}`` with keys such as ``patch_embed.0.c.weight``,
  ``blocks1.0.mixer.m.attn.qkvs.0.c.weight``, ``blocks2.1.conv1.c.weight``
  (the subsample lives in ``blocksN.0-2``, the blocks after it);
* ``timm``: timm's ``efficientvit_m0`` (``timm/models/efficientvit_msra.py``)
  with keys such as ``patch_embed.conv1.conv.weight``,
  ``stages.0.blocks.0.mixer.m.attn.qkvs.0.conv.weight``,
  ``stages.1.downsample.patchmerge.conv1.conv.weight``.

Every tensor of the three stages maps one-to-one onto the pose backbone
(:class:`levitpose.models.backbones.EfficientViT`),
whose stages are EfficientViT-M0's at strides 4 / 8 / 16 instead of
16 / 32 / 64. What is not loaded, and why:

* the stem: the classifier's is four ``3x3/2`` convolutions to stride 16
  (``3 -> 8 -> 16 -> 32 -> 64``), the pose baseline's two to stride 4
  (``3 -> 32 -> 64``), so the pose stem keeps its initialisation;
* the classifier (``head``, ``head_dist``) and Cream's attention index
  buffers (``attention_bias_idxs``, rebuilt by the model);
* attention biases sized for another window: at 224x224 the classifier's
  last stage is a 4x4 map, so its window (and bias table) is 4x4, while
  the pose model's stride-16 map at 256x256 uses 7x7 windows.

Anything else that does not fit (another EfficientViT size, another model,
a missing tensor) refuses the whole file.
"""
import argparse
import functools
import math
import re
import sys
from collections import OrderedDict
from typing import Dict, List, Mapping, NamedTuple, Optional, Tuple

import torch

from levitpose.cli import ToolParser, run_tool
from levitpose.utils import UsageError
from levitpose.utils.errors import InvalidInputError
from levitpose.utils.strict_load import (CheckpointMismatchError,
                                         describe_keys, describe_mismatch)

#: Published layouts, with an example key of each (for messages).
LAYOUTS = {
    'cream': 'blocks1.0.mixer.m.attn.qkvs.0.c.weight',
    'timm': 'stages.0.blocks.0.mixer.m.attn.qkvs.0.conv.weight',
}
#: The pose backbone's stem (stage 1's embedding): not in the classifiers.
STEM_PREFIX = 'stages.0.embed.'

_SKIPPED = (
    (re.compile(r'^patch_embed\.'), 'the classifier\'s stem to stride 16; '
     'the pose stem (stride 4) keeps its initialisation'),
    (re.compile(r'^head(_dist)?\.'), 'the ImageNet classifier'),
    (re.compile(r'\.attention_bias_idxs$'),
     'an index buffer the model rebuilds'),
)
_CREAM = re.compile(r'^blocks(?P<stage>\d+)\.(?P<index>\d+)\.(?P<rest>.+)$')
_TIMM_BLOCK = re.compile(
    r'^stages\.(?P<stage>\d+)\.blocks\.(?P<index>\d+)\.(?P<rest>.+)$')
_TIMM_DOWN = re.compile(r'^stages\.(?P<stage>\d+)\.downsample\.'
                        r'(?P<part>res1|patchmerge|res2)\.(?P<rest>.+)$')
# timm/Cream submodule name -> ours, segment by segment
_SEGMENTS = {'m': 'fn', 'c': 'conv', 'pw1': 'expand', 'pw2': 'reduce'}
# a subsample's parts: (timm's part, first segment) -> ours
_DOWN_PARTS = {
    ('res1', '0'): 'pre_dw',
    ('res1', '1'): 'pre_ffn',
    ('res2', '0'): 'post_dw',
    ('res2', '1'): 'post_ffn',
}
_MERGE = {'conv1': 'expand', 'conv2': 'dw', 'conv3': 'reduce', 'se': 'se'}
# Cream's subsample sits at blocksN.0-2, before stage N's blocks
_CREAM_SUBSAMPLE = {0: 'res1', 1: 'patchmerge', 2: 'res2'}


class Conversion(NamedTuple):
    """The result of :func:`convert_efficientvit_msra`.

    Attributes:
        state_dict (OrderedDict): Pose-backbone key -> tensor.
        loaded (list[tuple[str, str]]): ``(source key, backbone key)``.
        skipped (list[tuple[str, str]]): ``(source key, reason)``.
        left_initialised (list[str]): Backbone keys the file does not set.
    """
    state_dict: 'OrderedDict[str, torch.Tensor]'
    loaded: List[Tuple[str, str]]
    skipped: List[Tuple[str, str]]
    left_initialised: List[str]


def detect_layout(keys: List[str], source: str) -> str:
    """Which published layout ``keys`` come in.

    Raises:
        InvalidInputError: If neither, naming the file's first keys.
    """
    if any(_CREAM.match(k) for k in keys):
        return 'cream'
    if any(_TIMM_BLOCK.match(k) for k in keys):
        return 'timm'
    examples = ' or '.join(repr(k) for k in LAYOUTS.values())
    raise InvalidInputError(
        f'{source} is not an EfficientViT (MSRA) ImageNet checkpoint in the '
        f'Cream or timm layout (expected keys like {examples}); its '
        f'{len(keys)} keys: {describe_keys(keys)}')


def _rename(rest: str) -> str:
    return '.'.join(_SEGMENTS.get(s, s) for s in rest.split('.'))


def _block_key(stage: int, index: int, rest: str) -> str:
    rest = rest.replace('mixer.m.attn.proj.1.', 'mixer.m.attn.proj.')
    return f'stages.{stage}.block{index}.{_rename(rest)}'


def _subsample_key(stage: int, part: str, rest: str) -> Optional[str]:
    head, _, tail = rest.partition('.')
    if part == 'patchmerge':
        return f'stages.{stage}.embed.merge.{_MERGE[head]}.{_rename(tail)}' \
            if head in _MERGE and tail else None
    ours = _DOWN_PARTS.get((part, head))
    return f'stages.{stage}.embed.{ours}.{_rename(tail)}' \
        if ours and tail else None


def _target_key(key: str, layout: str) -> Optional[str]:
    """The pose-backbone key of a stage tensor (None if it has none)."""
    if layout == 'cream':
        match = _CREAM.match(key)
        if not match:
            return None
        stage, index = int(match['stage']) - 1, int(match['index'])
        if stage == 0:
            return _block_key(0, index, match['rest'])
        if index in _CREAM_SUBSAMPLE:
            return _subsample_key(stage, _CREAM_SUBSAMPLE[index],
                                  match['rest'])
        return _block_key(stage, index - len(_CREAM_SUBSAMPLE), match['rest'])
    match = _TIMM_BLOCK.match(key)
    if match:
        return _block_key(
            int(match['stage']), int(match['index']), match['rest'])
    match = _TIMM_DOWN.match(key)
    if match:
        return _subsample_key(
            int(match['stage']), match['part'], match['rest'])
    return None


def _bias_window_differs(key: str, value: torch.Tensor,
                         expected: torch.Tensor) -> bool:
    """Whether ``value`` is an attention-bias table of the same heads for
    another (square) window size."""
    if not key.endswith('.attention_biases') or value.dim() != 2 or \
            value.shape[0] != expected.shape[0]:
        return False
    side = math.isqrt(value.shape[1])
    return side * side == value.shape[1]


def convert_efficientvit_msra(state: Mapping[str, torch.Tensor],
                              target: Mapping[str, torch.Tensor],
                              source: str) -> Conversion:
    """Map an EfficientViT ImageNet state dict onto the pose backbone.

    Args:
        state (Mapping[str, Tensor]): The checkpoint's weights (Cream's or
            timm's layout; the layout is detected).
        target (Mapping[str, Tensor]): The pose backbone's ``state_dict()``
            (sets the expected keys and shapes).
        source (str): How to name the checkpoint in messages.

    Returns:
        Conversion: The backbone state dict and what was loaded/skipped.

    Raises:
        InvalidInputError: If the layout is neither.
        CheckpointMismatchError: In one line, naming the stage tensors of
            the file the backbone lacks, those of the backbone the file
            lacks, and the shape mismatches; nothing is converted.
    """
    layout = detect_layout(list(state), source)
    converted = OrderedDict()
    loaded, skipped, unexpected, mismatched = [], [], [], []
    for key, value in state.items():
        reason = next(
            (why for pattern, why in _SKIPPED if pattern.search(key)), None)
        if reason:
            skipped.append((key, reason))
            continue
        ours = _target_key(key, layout)
        if ours is None or ours not in target:
            unexpected.append(key)
        elif value.shape == target[ours].shape:
            converted[ours] = value.detach().clone()
            loaded.append((key, ours))
        elif _bias_window_differs(key, value, target[ours]):
            side = math.isqrt(value.shape[1])
            mine = math.isqrt(target[ours].shape[1])
            skipped.append((key, f'attention biases of a {side}x{side} '
                            f'window; the pose model\'s is {mine}x{mine}'))
        else:
            mismatched.append(f'{key} {tuple(value.shape)} vs {ours} '
                              f'{tuple(target[ours].shape)}')
    bias_keys = {
        _target_key(k, layout)
        for k, why in skipped if k.endswith('.attention_biases')
    }
    left = [k for k in target if k not in converted]
    missing = [
        k for k in left if not k.startswith(STEM_PREFIX) and k not in bias_keys
    ]
    problems = describe_mismatch([
        ('tensor(s) the pose backbone lacks', unexpected),
        ('backbone tensor(s) the file lacks', missing),
        ('shape mismatch(es) (file vs backbone)', mismatched)
    ])
    if problems:
        raise CheckpointMismatchError(
            f'{source} ({layout} layout) does not fit the EfficientViT-M0 '
            f'pose backbone: {problems}')
    return Conversion(converted, loaded, skipped, left)


def summarise(conversion: Conversion) -> Dict[str, List[str]]:
    """Group loaded and skipped keys by module, for printing.

    Returns:
        dict: ``'loaded'``: ``'stages.1.embed.*: 58 tensors'`` lines;
        ``'skipped'``: ``'head.*: 7 tensors (reason)'`` lines;
        ``'left_initialised'``: the backbone keys the file does not set,
        grouped likewise (attention bias tables one by one).
    """

    def by_module(key: str) -> str:
        parts = key.split('.')
        return '.'.join(parts[:3]) + ('.*' if len(parts) > 3 else '')

    def skipped_group(key: str) -> str:
        if key.endswith('.attention_bias_idxs'):
            return '*.attention_bias_idxs'
        if key.endswith('.attention_biases'):
            return key
        return key.split('.')[0] + '.*'

    def lines(pairs) -> List[str]:
        counts = OrderedDict()
        for name, note in pairs:
            counts[(name, note)] = counts.get((name, note), 0) + 1
        return [
            f'{name}: {n} tensor{"s" if n > 1 else ""}' +
            (f' ({note})' if note else '')
            for (name, note), n in counts.items()
        ]

    return dict(
        loaded=lines((by_module(ours), '') for _, ours in conversion.loaded),
        skipped=lines(
            (skipped_group(k), why) for k, why in conversion.skipped),
        left_initialised=lines(
            (k if k.endswith('.attention_biases') else by_module(k), '')
            for k in conversion.left_initialised))


#: The config whose backbone the converter targets by default.
DEFAULT_CONFIG = ('configs/body_2d_keypoint/topdown_heatmap/mpii/'
                  'td-hm_efficientvit-m0_8xb64-210e_mpii-256x256.py')
#: The key prefix of the written file (the pose model's backbone); configs
#: load it with ``init_cfg=dict(type='StrictPretrained', prefix=...)``.
PREFIX = 'backbone.'


def convert_file(src: str, dst: str, config: str = DEFAULT_CONFIG) -> dict:
    """Convert the checkpoint ``src`` for the backbone of ``config``.

    Writes ``dst`` atomically: ``state_dict`` (keys prefixed with
    :data:`PREFIX`) and ``meta`` (``source``, ``layout`` and, under
    ``'left_initialised'``, the backbone keys the file does not hold).

    Args:
        src (str): Microsoft's or timm's EfficientViT-M0 checkpoint.
        dst (str): The converted ``.pth`` file.
        config (str): A config whose backbone is ``EfficientViT`` (m0).
            Defaults to :data:`DEFAULT_CONFIG`.

    Returns:
        dict: ``layout`` and the :class:`Conversion` (``conversion``).

    Raises:
        LEViTPoseError: A missing or unsafe file, a config whose backbone
            is not EfficientViT, or a checkpoint that does not fit (one
            line each); ``dst`` is then not written.
    """
    from mmengine.registry import init_default_scope
    from mmengine.runner import save_checkpoint
    from mmpose.registry import MODELS

    from levitpose.utils.atomic_file import ATOMIC_BACKEND_ARGS
    from levitpose.utils.config import config_errors, load_config
    from levitpose.utils.strict_load import read_checkpoint, state_dict_of

    cfg = load_config(config)
    backbone_cfg = cfg.model.get('backbone', {})
    if backbone_cfg.get('type') != 'EfficientViT':
        raise InvalidInputError(
            f'config {config} has backbone {backbone_cfg.get("type")!r}; '
            'EfficientViT ImageNet weights fit only the EfficientViT-M0 pose '
            'baseline (no ImageNet weights exist at LEViTPose-T/S widths)')
    backbone_cfg = dict(backbone_cfg, init_cfg=None)
    init_default_scope(cfg.get('default_scope', 'mmpose'))
    with config_errors(f'the backbone of config {config}'):
        target = MODELS.build(backbone_cfg).state_dict()
    ckpt = read_checkpoint(src)
    if isinstance(ckpt, dict) and isinstance(ckpt.get('model'), dict):
        ckpt = ckpt['model']  # Cream's files: {'model': state_dict}
    conversion = convert_efficientvit_msra(
        state_dict_of(ckpt, src), target, src)
    layout = detect_layout(list(state_dict_of(ckpt, src)), src)
    save_checkpoint(
        dict(
            state_dict=OrderedDict(
                (PREFIX + k, v) for k, v in conversion.state_dict.items()),
            meta=dict(
                source=src,
                layout=layout,
                left_initialised=[
                    PREFIX + k for k in conversion.left_initialised
                ])),
        dst,
        backend_args=ATOMIC_BACKEND_ARGS)
    return dict(layout=layout, conversion=conversion)


def parse_args(argv=None) -> argparse.Namespace:
    """Parse the command line."""
    parser = ToolParser(
        description='EfficientViT-M0 ImageNet checkpoint (Cream or timm '
        'layout) -> the pose baseline backbone')
    parser.add_argument('src', help='efficientvit_m0 checkpoint (.pth)')
    parser.add_argument('dst', help='converted checkpoint (.pth)')
    parser.add_argument(
        '--config',
        default=DEFAULT_CONFIG,
        help='config whose EfficientViT backbone sets the expected keys '
        'and shapes (default: %(default)s)')
    return parser.parse_args(argv)


def convert(args: argparse.Namespace) -> None:
    """Convert, then print what was loaded and skipped."""
    if not args.dst.endswith('.pth'):
        raise UsageError(f'dst {args.dst} must end with .pth')
    result = convert_file(args.src, args.dst, args.config)
    conversion = result['conversion']
    lines = summarise(conversion)
    print(f"{args.src}: {result['layout']} layout; wrote {args.dst} "
          f'({len(conversion.loaded)} tensors, keys prefixed backbone.)')
    for title, key in (('loaded', 'loaded'), ('skipped', 'skipped'),
                       ('left initialised', 'left_initialised')):
        print(f'{title} ({len(lines[key])} groups):')
        for line in lines[key]:
            print(f'  {line}')


def main(argv=None) -> int:
    """Run the tool; returns the exit status."""
    return run_tool(functools.partial(convert, parse_args(argv)))


if __name__ == '__main__':
    sys.exit(main())
