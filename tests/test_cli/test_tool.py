"""levitpose.cli.tool: one error line and one exit status per kind."""
import pytest

from levitpose.cli import INTERRUPTED, ToolParser, run_tool
from levitpose.utils import (InvalidInputError, LEViTPoseError,
                             MissingFileError, UsageError)


def _raise(err):

    def body():
        raise err

    return body


@pytest.mark.parametrize('err, code', [
    (UsageError('--rounds must be >= 20'), 2),
    (InvalidInputError('cannot read image x.jpg'), 1),
    (MissingFileError('config x.py does not exist'), 1),
    (LEViTPoseError('the parity check failed'), 1),
])
def test_user_errors_print_one_line_and_their_status(capsys, err, code):
    assert run_tool(_raise(err)) == code
    captured = capsys.readouterr()
    assert captured.err == f'error: {err}\n' and captured.out == ''


def test_interrupt_is_one_line_and_130(capsys):
    assert run_tool(_raise(KeyboardInterrupt()), 'stopped') == INTERRUPTED
    assert capsys.readouterr().err == 'error: stopped\n'


def test_a_bug_keeps_its_traceback():
    with pytest.raises(ZeroDivisionError):
        run_tool(lambda: 1 / 0)


def test_return_value_is_the_status():
    assert run_tool(lambda: None) == 0
    assert run_tool(lambda: 1) == 1


def test_parser_usage_error_is_one_line_and_2(capsys):
    parser = ToolParser(prog='tool')
    parser.add_argument('--rounds', type=int)
    with pytest.raises(SystemExit) as info:
        parser.parse_args(['--rounds', 'many'])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.count('\n') == 1 and err.startswith('error: argument --rounds')
