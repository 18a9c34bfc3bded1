"""levitpose_lite.cli and .errors: one error line and one exit status per
kind."""
import pytest

from levitpose_lite.cli import (INTERRUPTED, ToolParser, add_int_options,
                                add_out_dir, check_least, command_line,
                                run_tool)
from levitpose_lite.errors import (InvalidInputError, MissingFileError,
                                   ToolError, UsageError, describe_error,
                                   first_line)


def test_exit_codes():
    assert ToolError.exit_code == InvalidInputError.exit_code == 1
    assert MissingFileError.exit_code == 1
    assert UsageError.exit_code == 2


@pytest.mark.parametrize('cls, base', [(UsageError, ValueError),
                                       (InvalidInputError, ValueError),
                                       (MissingFileError, FileNotFoundError)])
def test_errors_are_also_the_builtin_kind(cls, base):
    assert issubclass(cls, ToolError) and issubclass(cls, base)


def test_first_line_or_the_type_name():
    assert first_line(OSError('bad file\nmore')) == 'bad file'
    assert first_line(RuntimeError('  \n')) == 'RuntimeError'


def test_describe_error_names_the_type():
    assert describe_error(OSError('bad file\nmore')) == 'OSError: bad file'
    assert describe_error(KeyError()) == 'KeyError'


def _raise(err):

    def body():
        raise err

    return body


@pytest.mark.parametrize('err, code', [
    (UsageError('--rounds must be >= 20'), 2),
    (InvalidInputError('cannot read image x.jpg'), 1),
    (MissingFileError('config x.py does not exist'), 1),
    (ToolError('the parity check failed'), 1),
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


def test_command_line_records_the_arguments():
    assert command_line('tools/x.py', ['a.onnx', '--rounds', '3']) == \
        'python tools/x.py a.onnx --rounds 3'


def test_int_options_keep_the_table_order_defaults_and_help():
    parser = ToolParser(prog='tool')
    add_int_options(parser, (('--rounds', 20, 'timed rounds'),
                             ('--max-frames', None, 'first frames only')))
    assert parser.parse_args([]).rounds == 20
    assert parser.parse_args(['--max-frames', '3']).max_frames == 3
    text = parser.format_help()
    assert text.index('timed rounds') < text.index('first frames only')


def test_out_dir_names_what_goes_there():
    parser = ToolParser(prog='tool')
    add_out_dir(parser, 'results', 'table.{md,csv}')
    assert parser.parse_args([]).out_dir == 'results'
    assert 'where table.{md,csv} go' in parser.format_help()


@pytest.mark.parametrize('argv, message', [
    (['--threads', '0', '--rounds', '1'], '--threads must be >= 1, got 0'),
    (['--rounds', '1'], '--rounds must be >= 2, got 1'),
])
def test_check_least_names_the_first_option_below_its_least(argv, message):
    parser = ToolParser(prog='tool')
    add_int_options(parser, (('--threads', 2, ''), ('--rounds', 20, ''),
                             ('--max-batch-size', None, '')))
    least = (('--threads', 1), ('--rounds', 2), ('--max-batch-size', 1))
    with pytest.raises(UsageError, match=f'^{message}$'):
        check_least(parser.parse_args(argv), least)


def test_check_least_passes_unset_and_least_values():
    parser = ToolParser(prog='tool')
    add_int_options(parser,
                    (('--warmup', 0, ''), ('--max-batch-size', None, '')))
    check_least(
        parser.parse_args([]), (('--warmup', 0), ('--max-batch-size', 1)))


def test_check_least_checks_every_value_of_a_list_option():
    parser = ToolParser(prog='tool')
    parser.add_argument('--intervals', type=int, nargs='+', default=[1, 5])
    check_least(parser.parse_args([]), (('--intervals', 1), ))
    with pytest.raises(UsageError, match='^--intervals must be >= 1, got 0$'):
        check_least(
            parser.parse_args(['--intervals', '3', '0']),
            (('--intervals', 1), ))
