"""Synthetic EfficientViT-M0 ImageNet checkpoints in the two published
layouts: every key and shape of Microsoft's Cream model
(``EfficientViT/classification/model/efficientvit.py``) and of timm's
``efficientvit_m0`` (``timm/models/efficientvit_msra.py``) at 224x224,
written down from those sources; the values are random (seeded)."""
from collections import OrderedDict
from typing import Dict, List, Tuple

import torch

# EfficientViT-M0: widths, blocks per stage, heads, query/key width,
# query depthwise kernel, classes; windows at 224x224 (maps 14, 7, 4)
DIMS, DEPTHS, HEADS, KEY_DIM, KERNEL, CLASSES = (64, 128, 192), (1, 2, 3), \
    4, 16, 5, 1000
WINDOWS = (7, 7, 4)

Shapes = List[Tuple[str, tuple]]


def _conv_bn(name: str, out_ch: int, in_ch: int, k: int, conv: str) -> Shapes:
    return [(f'{name}.{conv}.weight', (out_ch, in_ch, k, k))] + [
        (f'{name}.bn.{p}', (out_ch, ))
        for p in ('weight', 'bias', 'running_mean', 'running_var')
    ] + [(f'{name}.bn.num_batches_tracked', ())]


def _dw(name, dim, conv):
    return _conv_bn(name, dim, 1, 3, conv)


def _ffn(name, dim, conv):
    return (_conv_bn(f'{name}.pw1', 2 * dim, dim, 1, conv) +
            _conv_bn(f'{name}.pw2', dim, 2 * dim, 1, conv))


def _block(name: str, stage: int, conv: str, idxs: bool) -> Shapes:
    dim, window = DIMS[stage], WINDOWS[stage]
    val = dim // HEADS
    attn = f'{name}.mixer.m.attn'
    shapes = _dw(f'{name}.dw0.m', dim, conv) + _ffn(f'{name}.ffn0.m', dim,
                                                    conv)
    for h in range(HEADS):
        shapes += _conv_bn(f'{attn}.qkvs.{h}', 2 * KEY_DIM + val, val, 1, conv)
    for h in range(HEADS):
        shapes += _conv_bn(f'{attn}.dws.{h}', KEY_DIM, 1, KERNEL, conv)
    shapes += _conv_bn(f'{attn}.proj.1', dim, dim, 1, conv)
    shapes.append((f'{attn}.attention_biases', (HEADS, window * window)))
    if idxs:  # a persistent buffer in Cream, not in timm
        shapes.append((f'{attn}.attention_bias_idxs', (window**2, window**2)))
    return shapes + _dw(f'{name}.dw1.m', dim, conv) + _ffn(
        f'{name}.ffn1.m', dim, conv)


def _subsample(pre: str, merge: str, post: str, stage: int,
               conv: str) -> Shapes:
    a, b = DIMS[stage - 1], DIMS[stage]
    hid, rd = 4 * a, a  # SE: hidden / 4, a multiple of 8
    return (_dw(f'{pre}.0.m', a, conv) + _ffn(f'{pre}.1.m', a, conv) +
            _conv_bn(f'{merge}.conv1', hid, a, 1, conv) +
            _conv_bn(f'{merge}.conv2', hid, 1, 3, conv) + [
                (f'{merge}.se.fc1.weight', (rd, hid, 1, 1)),
                (f'{merge}.se.fc1.bias', (rd, )),
                (f'{merge}.se.fc2.weight', (hid, rd, 1, 1)),
                (f'{merge}.se.fc2.bias', (hid, )),
            ] + _conv_bn(f'{merge}.conv3', b, hid, 1, conv) +
            _dw(f'{post}.0.m', b, conv) + _ffn(f'{post}.1.m', b, conv))


def _head(linear: str) -> Shapes:
    return [(f'head.bn.{p}', (DIMS[-1], ))
            for p in ('weight', 'bias', 'running_mean', 'running_var')
            ] + [('head.bn.num_batches_tracked', ()),
                 (f'head.{linear}.weight', (CLASSES, DIMS[-1])),
                 (f'head.{linear}.bias', (CLASSES, ))]


def cream_shapes() -> Shapes:
    """Keys and shapes of Cream's ``EfficientViT`` M0 ``state_dict()``."""
    stem = [3, DIMS[0] // 8, DIMS[0] // 4, DIMS[0] // 2, DIMS[0]]
    shapes = []
    for i in range(4):  # Sequential(conv, ReLU, conv, ...): 0, 2, 4, 6
        shapes += _conv_bn(f'patch_embed.{2 * i}', stem[i + 1], stem[i], 3,
                           'c')
    for s in range(3):
        first = 0
        if s > 0:  # blocks{s+1}.0-2 hold the subsample
            name = f'blocks{s + 1}'
            shapes += _subsample(f'{name}.0', f'{name}.1', f'{name}.2', s, 'c')
            first = 3
        for j in range(DEPTHS[s]):
            shapes += _block(f'blocks{s + 1}.{first + j}', s, 'c', True)
    return shapes + _head('l')


def timm_shapes() -> Shapes:
    """Keys and shapes of timm's ``efficientvit_m0`` ``state_dict()``."""
    stem = [3, DIMS[0] // 8, DIMS[0] // 4, DIMS[0] // 2, DIMS[0]]
    shapes = []
    for i in range(4):
        shapes += _conv_bn(f'patch_embed.conv{i + 1}', stem[i + 1], stem[i], 3,
                           'conv')
    for s in range(3):
        if s > 0:
            down = f'stages.{s}.downsample'
            shapes += _subsample(f'{down}.res1', f'{down}.patchmerge',
                                 f'{down}.res2', s, 'conv')
        for j in range(DEPTHS[s]):
            shapes += _block(f'stages.{s}.blocks.{j}', s, 'conv', False)
    return shapes + _head('linear')


def make_state(shapes: Shapes, seed: int = 0) -> Dict[str, torch.Tensor]:
    """Random tensors of ``shapes`` (ints for counters and indices)."""
    gen = torch.Generator().manual_seed(seed)
    state = OrderedDict()
    for key, shape in shapes:
        if key.endswith(('num_batches_tracked', 'attention_bias_idxs')):
            state[key] = torch.randint(0, 100, shape, generator=gen)
        else:
            state[key] = torch.randn(shape, generator=gen)
    return state
