"""levitpose.utils.errors: exit codes, and uncaught errors in one line."""
import subprocess
import sys

import pytest

from levitpose.utils.errors import (InvalidInputError, LEViTPoseError,
                                    UsageError, describe_error)

RAISE = '''
from levitpose.utils.errors import {name}, report_uncaught_in_one_line
report_uncaught_in_one_line()
report_uncaught_in_one_line()  # twice: still one line
raise {name}({message!r})
'''


def _run(source: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, '-c', source],
                          capture_output=True,
                          text=True,
                          timeout=120)


def test_exit_codes():
    assert LEViTPoseError.exit_code == 1
    assert InvalidInputError.exit_code == 1
    assert UsageError.exit_code == 2
    assert issubclass(UsageError, ValueError)


def test_describe_error_keeps_the_first_line():
    assert describe_error(OSError('bad file\nmore')) == 'OSError: bad file'
    assert describe_error(KeyError()) == 'KeyError'


def test_uncaught_error_is_one_line_with_status_1():
    proc = _run(
        RAISE.format(name='InvalidInputError', message='checkpoint x.pth'))
    assert proc.returncode == 1
    assert proc.stderr.splitlines() == ['error: checkpoint x.pth']


@pytest.mark.parametrize('exc', ['RuntimeError', 'KeyboardInterrupt'])
def test_other_errors_keep_their_traceback(exc):
    proc = _run('from levitpose.utils.errors import '
                'report_uncaught_in_one_line\n'
                f'report_uncaught_in_one_line()\nraise {exc}("boom")')
    assert proc.returncode != 0
    assert 'Traceback' in proc.stderr
    assert 'error:' not in proc.stderr
