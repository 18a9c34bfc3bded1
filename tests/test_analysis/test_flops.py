"""Model sizes in the paper's FLOP convention, the complete count, and
tools/analysis_tools/get_flops.py.

The LEViTPose paper's sizes (whole top-down model, 256x256 input, counted
as mmcv 1.x's hooks count: ``levitpose.analysis.hook_flops``): LEViTPose-T
1.09M / 0.89 GFLOPs, -S 2.16M / 1.33 G, EfficientViT-M0 pose baseline
3.04M / 1.89 G, each +-5 %.
"""
import functools
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from levitpose.analysis.flops import (EXTRA_FLOP_HANDLES, UncountedOpsError,
                                      get_config_complexity,
                                      get_model_complexity, sdpa_flop_jit,
                                      split_by_part)
from levitpose.analysis.hook_flops import count_paper_flops
from levitpose.utils.errors import MissingFileError, UsageError

REPO = Path(__file__).resolve().parents[2]
TOPDOWN = REPO / 'configs' / 'body_2d_keypoint' / 'topdown_heatmap'
T_MPII = 'mpii/td-hm_levitpose-t_8xb64-210e_mpii-256x256.py'
BASELINE = 'mpii/td-hm_efficientvit-m0_8xb64-210e_mpii-256x256.py'
PAPER_SIZES = [
    (T_MPII, 1.09e6, 0.89e9),
    ('mpii/td-hm_levitpose-s_8xb64-210e_mpii-256x256.py', 2.16e6, 1.33e9),
    ('coco/td-hm_levitpose-t_8xb64-210e_coco-256x256.py', 1.09e6, 0.89e9),
    ('coco/td-hm_levitpose-s_8xb64-210e_coco-256x256.py', 2.16e6, 1.33e9),
    (BASELINE, 3.04e6, 1.89e9),
]
LEVITPOSE = [config for config, *_ in PAPER_SIZES[:4]]
TOLERANCE = 0.05
GET_FLOPS = 'tools/analysis_tools/get_flops.py'


def build(config):
    """The whole top-down model of ``config``, in eval mode."""
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmpose.registry import MODELS
    init_default_scope('mmpose')
    return MODELS.build(Config.fromfile(str(config)).model).eval()


@functools.lru_cache(maxsize=None)
def paper_count(config):
    """``count_paper_flops`` of ``config``'s model at 256x256 (the hooks
    only: much faster than ``get_config_complexity``'s trace)."""
    inputs = (torch.rand(1, 3, 256, 256), None, 'tensor')
    return count_paper_flops(build(config), inputs)


def paper_size(config):
    """Paper-convention ``(params, flops)`` of ``config`` at 256x256."""
    result = paper_count(str(config))
    return result['params'], result['flops']


@pytest.fixture(scope='module')
def complexity():
    """``get_config_complexity`` at the codec's size, once per config."""
    cache = {}

    def get(config):
        if config not in cache:
            cache[config] = get_config_complexity(str(TOPDOWN / config))
        return cache[config]

    return get


@pytest.mark.parametrize(
    'config, params, flops', PAPER_SIZES, ids=[s[0] for s in PAPER_SIZES])
def test_size_matches_paper_in_its_convention(config, params, flops):
    paper_params, paper_flops = paper_size(TOPDOWN / config)
    assert paper_params == pytest.approx(params, rel=TOLERANCE)
    assert paper_flops == pytest.approx(flops, rel=TOLERANCE)


@pytest.mark.parametrize('config', [T_MPII, BASELINE])
def test_config_complexity_reports_the_paper_convention(config, complexity):
    result = complexity(config)
    assert (result['paper_params'],
            result['paper_flops']) == paper_size(TOPDOWN / config)


@pytest.mark.parametrize('config', [T_MPII, BASELINE])
def test_complete_count_skips_no_operator(config, complexity):
    result = complexity(config)
    assert not result['uncounted']
    assert result['params'] == result['paper_params']  # nothing frozen


@pytest.mark.parametrize('config', [T_MPII, BASELINE])
def test_complete_count_adds_what_hooks_miss(config, complexity):
    """Attention products and elementwise operations are functional: the
    complete count holds more than the paper convention's modules."""
    result = complexity(config)
    assert result['flops'] > result['paper_flops']


@pytest.mark.parametrize('config', [T_MPII, BASELINE])
def test_complete_count_includes_attention(config, complexity):
    ops = complexity(config)['by_operator']
    products = ('matmul', 'bmm', 'baddbmm', 'scaled_dot_product_attention')
    assert sum(ops.get(op, 0) for op in products) > 0


@pytest.mark.parametrize('config', [T_MPII, BASELINE])
def test_parts_add_up_to_the_paper_total(config, complexity):
    result = complexity(config)
    parts = result['paper_parts']
    assert set(parts) == {'stem', 'stage1', 'stage2', 'stage3', 'head'}
    assert sum(parts.values()) == result['paper_flops']


@pytest.mark.parametrize('config', LEVITPOSE)
def test_lfrm_holds_at_most_a_third(config):
    result = paper_count(str(TOPDOWN / config))
    head = sum(flops for name, flops in result['by_module'].items()
               if name.startswith('head.'))
    assert 0 < head <= result['flops'] / 3


def mmpose_config(name):
    """A config shipped with MMPose (MPII top-down heatmap, 256x256)."""
    import mmpose
    return (Path(mmpose.__file__).parent / '.mim' / 'configs' /
            'body_2d_keypoint' / 'topdown_heatmap' / 'mpii' / name)


@pytest.mark.parametrize('config, params, gflops', [
    ('td-hm_mobilenetv2_8xb64-210e_mpii-256x256.py', 9.57, 2.12),
    ('td-hm_litehrnet-30_8xb64-210e_mpii-256x256.py', 1.76, 0.56),
    ('td-hm_hourglass52_8xb64-210e_mpii-256x256.py', 94.85, 28.67),
])
def test_paper_convention_reproduces_peer_rows(config, params, gflops):
    """The paper's peer rows (MMPose's published sizes), to its digits."""
    paper_params, paper_flops = paper_size(mmpose_config(config))
    assert round(paper_params / 1e6, 2) == params
    assert round(paper_flops / 1e9, 2) == gflops


def test_input_shape_defaults_to_the_codec(complexity):
    assert complexity(T_MPII)['input_shape'] == (256, 256)


@pytest.mark.parametrize('bad', [(256, ), (0, 256), (256.0, 256)])
def test_bad_input_shape_raises(bad):
    with pytest.raises(UsageError, match='input_shape'):
        get_config_complexity(str(TOPDOWN / T_MPII), bad)


def test_missing_config_raises():
    with pytest.raises(MissingFileError, match='nope.py'):
        get_config_complexity('nope.py')


def test_split_by_part_names():
    by_module = {
        'estimator.backbone.stages.0.embed.0.conv.conv': 1,
        'estimator.backbone.stages.0.block0.dw0.fn.conv': 2,
        'estimator.backbone.stages.1.embed.merge.dw.conv': 4,
        'estimator.backbone.stages.2.block1.mixer.fn.q.0': 8,
        'estimator.head.final_layer': 16,
        'estimator.data_preprocessor.x': 32,
    }
    assert split_by_part(by_module) == dict(
        stem=1, stage1=2, stage2=4, stage3=8, head=16, other=32)


class _Attention(nn.Module):

    def forward(self, q, k, v):
        return F.scaled_dot_product_attention(q, k, v)


def test_sdpa_is_counted():
    q = torch.rand(2, 3, 10, 8)
    k, v = torch.rand(2, 3, 5, 8), torch.rand(2, 3, 5, 4)
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


def run_tool(*args):
    return subprocess.run([sys.executable, GET_FLOPS, *args],
                          cwd=REPO,
                          capture_output=True,
                          text=True,
                          timeout=300)


def count(text, label):
    """The exact count printed in parentheses after ``label``."""
    match = re.search(re.escape(label) + r'[^\n]*\((\d+)\)', text)
    assert match, f'{label!r} not in:\n{text}'
    return int(match[1])


@pytest.fixture(scope='module')
def tool_output():
    proc = run_tool(str(TOPDOWN / T_MPII), '--input-shape', '256', '256')
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_cli_prints_both_conventions(tool_output, complexity):
    result = complexity(T_MPII)
    assert 'input shape: 1x3x256x256' in tool_output
    assert count(tool_output, 'params:') == result['paper_params']
    assert count(tool_output,
                 'flops (paper convention') == result['paper_flops']
    assert count(tool_output, 'flops (complete') == result['flops']


def test_cli_prints_the_part_split(tool_output):
    parts = re.findall(r'^  (stem|stage\d|head): [\d.]+[KMG]? \(([\d.]+)%\)',
                       tool_output, re.M)
    assert [name for name, _ in parts
            ] == ['stem', 'stage1', 'stage2', 'stage3', 'head']
    assert sum(float(share) for _, share in parts) == pytest.approx(100, abs=1)


def test_cli_missing_config_is_one_line_error(run_main):
    proc = run_main(GET_FLOPS, 'configs/missing.py')
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [
        'error: config configs/missing.py does not exist'
    ]


def test_cli_bad_input_shape_is_a_usage_error(run_main):
    proc = run_main(GET_FLOPS, TOPDOWN / T_MPII, '--input-shape', '0', '5')
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        'error: input_shape must be two positive ints (H, W), got (0, 5)'
    ]


def test_cli_size_the_model_refuses_is_a_usage_error(run_main):
    proc = run_main(GET_FLOPS, TOPDOWN / T_MPII, '--input-shape', '250', '192')
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith('error: the model of ')
    assert 'multiples of 16, got 250x192' in lines[0]
