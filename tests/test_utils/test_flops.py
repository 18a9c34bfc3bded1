"""Tests of complete FLOP counting and of tools/analysis_tools/get_flops.py.

Sizes are the LEViTPose paper's (whole top-down model, 256x256 input):
LEViTPose-T 1.09M / 0.89 GFLOPs, -S 2.16M / 1.33 G (+-5 %), EfficientViT-M0
pose baseline 3.04M / 1.89 G (+-10 %).
"""
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from levitpose.utils.flops import (EXTRA_FLOP_HANDLES, UncountedOpsError,
                                   get_config_complexity, get_model_complexity,
                                   sdpa_flop_jit)

REPO = Path(__file__).resolve().parents[2]
TOPDOWN = REPO / 'configs' / 'body_2d_keypoint' / 'topdown_heatmap'
PAPER_SIZES = [
    ('mpii/td-hm_levitpose-t_8xb64-210e_mpii-256x256.py', 1.09e6, 0.89e9,
     0.05),
    ('mpii/td-hm_levitpose-s_8xb64-210e_mpii-256x256.py', 2.16e6, 1.33e9,
     0.05),
    ('coco/td-hm_levitpose-t_8xb64-210e_coco-256x256.py', 1.09e6, 0.89e9,
     0.05),
    ('coco/td-hm_levitpose-s_8xb64-210e_coco-256x256.py', 2.16e6, 1.33e9,
     0.05),
    ('mpii/td-hm_efficientvit-m0_8xb64-210e_mpii-256x256.py', 3.04e6, 1.89e9,
     0.10),
]


class _Attention(nn.Module):

    def forward(self, q, k, v):
        return F.scaled_dot_product_attention(q, k, v)


@pytest.mark.parametrize(
    'config, params, flops, tol', PAPER_SIZES, ids=[s[0] for s in PAPER_SIZES])
def test_model_size_matches_paper(config, params, flops, tol):
    result = get_config_complexity(str(TOPDOWN / config), (256, 256))
    assert result['params'] == pytest.approx(params, rel=tol)
    assert result['flops'] == pytest.approx(flops, rel=tol)
    assert not result['uncounted']


def test_levitpose_flops_include_attention():
    result = get_config_complexity(
        str(TOPDOWN / PAPER_SIZES[0][0]), (256, 192))
    ops = result['by_operator']
    assert ops.get('matmul', 0) > 0 and ops.get('softmax', 0) > 0
    assert result['input_shape'] == (256, 192)


def test_sdpa_is_counted():
    q, k, v = torch.rand(2, 3, 10, 8), torch.rand(2, 3, 5,
                                                  8), torch.rand(2, 3, 5, 4)
    result = get_model_complexity(_Attention(), (q, k, v))
    # QK^T (10x5x8) + softmax (10x5) + AV (10x5x4), for 2x3 batch-heads
    assert result['flops'] == 2 * 3 * 10 * 5 * (8 + 1 + 4)


def test_sdpa_handle_is_registered():
    assert EXTRA_FLOP_HANDLES[
        'aten::scaled_dot_product_attention'] is sdpa_flop_jit


def test_elementwise_ops_are_counted():

    class Residual(nn.Module):

        def forward(self, x):
            return x + x.sigmoid()

    result = get_model_complexity(Residual(), (torch.rand(1, 4, 5, 5), ))
    assert result['flops'] == 2 * 100


def test_unknown_op_raises_in_strict_mode():

    class Cumsum(nn.Module):

        def forward(self, x):
            return x.cumsum(-1)

    x = (torch.rand(3, 4), )
    with pytest.raises(UncountedOpsError, match='cumsum'):
        get_model_complexity(Cumsum(), x)
    assert 'aten::cumsum' in get_model_complexity(
        Cumsum(), x, strict=False)['uncounted']


def test_missing_config_raises():
    with pytest.raises(FileNotFoundError, match='nope.py'):
        get_config_complexity('nope.py')


def run_tool(*args):
    return subprocess.run(
        [sys.executable, 'tools/analysis_tools/get_flops.py', *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300)


def test_cli_prints_params_and_flops():
    proc = run_tool(
        str(TOPDOWN / PAPER_SIZES[0][0]), '--input-shape', '256', '256')
    assert proc.returncode == 0, proc.stderr
    assert 'input shape: 1x3x256x256' in proc.stdout
    assert 'params: 1.0' in proc.stdout
    assert 'flops: 8' in proc.stdout
    attention = re.search(r'attention \(matmul/softmax\): ([\d.]+)M',
                          proc.stdout)
    assert attention and float(attention[1]) > 1.0


def test_cli_missing_config_is_one_line_error():
    proc = run_tool('configs/missing.py')
    assert proc.returncode != 0
    assert proc.stderr.strip().splitlines() == [
        'error: config file not found: configs/missing.py'
    ]
