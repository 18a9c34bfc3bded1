"""Bad inputs to the tools end in one ``error:`` line and the same exit
status everywhere: 2 for the command line, 1 for what it names.

The tools' ``main(argv)`` runs in-process (``run_main``) and returns the exit
status.
"""
import pytest
from tool_runner import QUICKSTART

MISSING = 'no/such/file.py'
TOOLS = ('tools/train.py', 'tools/test.py',
         'tools/analysis_tools/print_config.py',
         'tools/analysis_tools/browse_dataset.py',
         'tools/analysis_tools/benchmark.py',
         'tools/analysis_tools/memory_check.py',
         'tools/deployment/pytorch2onnx.py', 'tools/misc/publish_model.py',
         'demo/topdown_demo_with_mmdet.py')


def _run(run_main, tool: str, *argv: str):
    """(exit status, the stderr lines) of ``tool argv``."""
    result = run_main(tool, *argv)
    return result.returncode, [
        ln for ln in result.stderr.splitlines() if ln.strip()
    ]


@pytest.mark.parametrize('tool', TOOLS)
def test_unknown_option_is_one_line_and_2(run_main, tool):
    code, lines = _run(run_main, tool, '--no-such-option')
    assert code == 2 and len(lines) == 1, lines
    assert lines[0].startswith('error: ')


@pytest.mark.parametrize('tool, extra', [
    ('tools/train.py', []),
    ('tools/test.py', ['x.pth']),
    ('tools/analysis_tools/print_config.py', []),
    ('tools/analysis_tools/browse_dataset.py', ['--output-dir', 'out']),
    ('tools/deployment/pytorch2onnx.py', ['--output-file', 'x.onnx']),
])
def test_missing_config_is_one_line_and_1(run_main, tool, extra):
    code, lines = _run(run_main, tool, MISSING, *extra)
    assert code == 1 and lines == [f'error: config {MISSING} does not exist']


def test_test_py_missing_checkpoint(run_main):
    code, lines = _run(run_main, 'tools/test.py', QUICKSTART, 'missing.pth')
    assert code == 1
    assert lines == ['error: checkpoint missing.pth does not exist']


def test_train_py_missing_resume_checkpoint(run_main, tmp_path):
    code, lines = _run(run_main, 'tools/train.py', QUICKSTART, '--work-dir',
                       str(tmp_path), '--resume', 'missing.pth')
    assert code == 1
    assert lines == ['error: checkpoint to resume missing.pth does not exist']


@pytest.mark.parametrize('tool, argv, message', [
    ('tools/analysis_tools/browse_dataset.py', [
        QUICKSTART, '--output-dir', 'out', '--max-items', '0'
    ], 'max_items must be >= 1, got 0'),
    ('tools/analysis_tools/benchmark.py', ['--rounds', '3'
                                           ], '--rounds must be >= 20'),
    ('tools/analysis_tools/benchmark.py', ['--models', 'ResNet-50'],
     "unknown model(s) ['ResNet-50']"),
    ('tools/deployment/pytorch2onnx.py', [
        QUICKSTART, '--output-file', 'x.onnx', '--opset', '16'
    ], '--opset must be >= 17'),
    ('tools/misc/publish_model.py', ['in.pth', 'out.bin'
                                     ], 'must end with .pth'),
    ('tools/analysis_tools/memory_check.py',
     ['--input', 'x.mp4', '--frames', '10'], '--warmup + --window <='),
])
def test_bad_option_value_is_one_line_and_2(run_main, tool, argv, message):
    code, lines = _run(run_main, tool, *argv)
    assert code == 2 and len(lines) == 1, lines
    assert lines[0].startswith('error: ') and message in lines[0]


def test_publish_model_missing_input_is_one_line_and_1(run_main, tmp_path):
    code, lines = _run(run_main, 'tools/misc/publish_model.py', 'missing.pth',
                       str(tmp_path / 'out.pth'))
    assert code == 1
    assert lines == ['error: checkpoint missing.pth does not exist']
