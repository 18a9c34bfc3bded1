"""Fixtures of the tool tests."""
import sys
from pathlib import Path

import pytest


@pytest.fixture(scope='session')
def venv_bin() -> Path:
    """The folder of the running interpreter (``.venv/bin``)."""
    return Path(sys.executable).parent
