"""levitpose's user-facing errors are the torch-free tools' errors: the one
``run_tool`` reports them with the same statuses."""
import pytest

from levitpose.cli import run_tool
from levitpose.utils import (InvalidInputError, LEViTPoseError,
                             MissingFileError, UsageError)
from levitpose_lite import errors as lite


@pytest.mark.parametrize('err, lite_kind, code', [
    (UsageError('--opset must be >= 17'), lite.UsageError, 2),
    (InvalidInputError('cannot read image x.jpg'), lite.InvalidInputError, 1),
    (MissingFileError('x.pth does not exist'), lite.MissingFileError, 1),
    (LEViTPoseError('the parity check failed'), lite.ToolError, 1),
])
def test_levitpose_errors_exit_as_lite_ones(capsys, err, lite_kind, code):
    assert isinstance(err, lite_kind) and isinstance(err, LEViTPoseError)

    def body():
        raise err

    assert run_tool(body) == code
    assert capsys.readouterr().err == f'error: {err}\n'
