"""Bad inputs to the tools end in one clear line and a non-zero exit.

The tools' ``main(argv)`` runs in-process: ``sys.exit(message)`` raises
:class:`SystemExit` whose code is the message (exit status 1).
"""
import runpy

import pytest
from tool_runner import QUICKSTART, REPO_ROOT

MISSING = 'no/such/file.py'


def _exit_message(tool: str, *argv: str) -> str:
    main = runpy.run_path(str(REPO_ROOT / tool), run_name='tool')['main']
    with pytest.raises(SystemExit) as info:
        main(list(argv))
    message = info.value.code
    assert isinstance(message, str), f'exit status {message!r}'
    assert '\n' not in message
    return message


@pytest.mark.parametrize('tool', [
    'tools/train.py', 'tools/analysis_tools/print_config.py',
    'tools/analysis_tools/browse_dataset.py'
])
def test_missing_config_is_one_line(tool, tmp_path):
    extra = ['--output-dir', str(tmp_path)] if 'browse' in tool else []
    assert _exit_message(
        tool, MISSING,
        *extra).endswith(f'error: config file {MISSING} does not exist')


def test_test_py_missing_checkpoint_is_one_line():
    assert _exit_message('tools/test.py', QUICKSTART, 'missing.pth') == (
        'test.py: error: checkpoint missing.pth does not exist')


def test_train_py_missing_resume_checkpoint_is_one_line(tmp_path):
    message = _exit_message('tools/train.py', QUICKSTART, '--work-dir',
                            str(tmp_path), '--resume', 'missing.pth')
    assert message == (
        'train.py: error: checkpoint to resume missing.pth does not exist')


def test_browse_dataset_bad_max_items_is_one_line(tmp_path):
    message = _exit_message('tools/analysis_tools/browse_dataset.py',
                            QUICKSTART, '--output-dir', str(tmp_path),
                            '--max-items', '0')
    assert message.endswith('max_items must be >= 1, got 0')


def test_publish_model_missing_input_is_one_line(tmp_path):
    message = _exit_message('tools/misc/publish_model.py', 'missing.pth',
                            str(tmp_path / 'out.pth'))
    assert message == (
        'publish_model.py: error: checkpoint missing.pth does not exist')
