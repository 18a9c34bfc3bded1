"""profile_model.py: per-operator time tables for PyTorch and ONNX Runtime,
one-line errors for bad options and files (``main(argv)`` in-process, but
one run as a user runs it)."""
import json
import sys

import pytest
from tool_runner import run_tool

from levitpose.deploy.profiling import format_table, summarize_ort_profile
from levitpose.utils import InvalidInputError

TOOL = 'tools/analysis_tools/profile_model.py'
T_MPII = ('configs/body_2d_keypoint/topdown_heatmap/mpii/'
          'td-hm_levitpose-t_8xb64-210e_mpii-256x256.py')


def profile_cmd(*args):
    return [sys.executable, TOOL, T_MPII, *args]


@pytest.mark.slow
@pytest.mark.parametrize('backend, operator', [
    ('onnxruntime', '| Conv |'),
    ('jit', '| aten::'),
])
def test_prints_a_table_per_operator(backend, operator):
    out = run_tool(
        profile_cmd('--backend', backend, '--runs', '2', '--top', '5',
                    '--input-shape', '128', '128'))
    assert out.returncode == 0, out.stderr
    assert f'[{backend}], input (1, 3, 128, 128)' in out.stdout
    assert operator in out.stdout and '| **total** |' in out.stdout
    assert 'others) |' in out.stdout  # more operators than --top 5


@pytest.mark.parametrize('args, message', [
    (['--runs', '0'], '--runs must be >= 1'),
    (['--backend', 'tensorrt'], "invalid choice: 'tensorrt'"),
    (['--input-shape', '8', '8'], '--input-shape must be >= 16'),
])
def test_bad_options_are_one_line_exit_2(run_main, args, message):
    out = run_main(TOOL, T_MPII, *args)
    assert out.returncode == 2
    assert message in out.stderr and out.stderr.strip().count('\n') == 0


def test_missing_checkpoint_is_one_line_exit_1(run_main):
    out = run_main(TOOL, T_MPII, '--checkpoint', 'no_such.pth')
    assert out.returncode == 1
    assert out.stderr.strip() == 'error: checkpoint no_such.pth does not exist'
    out = run_main(TOOL, T_MPII, '--checkpoint', 'checkpoints')  # a folder
    assert out.returncode == 1
    assert out.stderr.strip() == 'error: checkpoint checkpoints is not a file'


def test_missing_config_is_one_line_exit_1():
    """As a user runs it (a subprocess): nothing else on stderr."""
    out = run_tool([sys.executable, TOOL, 'configs/no_such_config.py'])
    assert out.returncode == 1
    assert out.stderr.strip().count('\n') == 0
    assert 'no_such_config.py' in out.stderr


def _event(name, ts, dur=0, op=None):
    event = dict(name=name, ts=ts, dur=dur, cat='Session')
    if op:
        event.update(cat='Node', args=dict(op_name=op))
    return event


def test_ort_profile_summary_skips_warm_up_runs(tmp_path):
    events = [
        _event('model_run', 0),
        _event('conv_kernel_time', 1, 900, 'Conv'),  # warm-up: left out
        _event('model_run', 10),
        _event('conv_kernel_time', 11, 300, 'Conv'),
        _event('mm_kernel_time', 12, 100, 'MatMul'),
        _event('model_run', 20),
        _event('conv_kernel_time', 21, 500, 'Conv'),
        _event('conv_fence_before', 22, 999),  # not a kernel time
    ]
    path = tmp_path / 'profile.json'
    path.write_text(json.dumps(events))
    rows = summarize_ort_profile(str(path), skip_runs=1)
    assert [(r.name, r.ms, r.calls) for r in rows] == [('Conv', 0.4, 1.0),
                                                       ('MatMul', 0.05, 0.5)]
    assert sum(r.share for r in rows) == pytest.approx(1.)
    table = format_table(rows, top=1)
    assert '| Conv | 0.400 | 88.9 % | 1 |' in table
    assert '| (1 others) | 0.050 | 11.1 % | 0 |' in table
    with pytest.raises(InvalidInputError, match='no model run'):
        summarize_ort_profile(str(path), skip_runs=3)
