"""Shared pytest fixtures: paths to the repository and the shared real data."""
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = (REPO_ROOT / '..' / 'shared' / 'data').resolve()


@pytest.fixture(scope='session')
def repo_root() -> Path:
    """The repository root."""
    return REPO_ROOT


@pytest.fixture(scope='session')
def shared_data() -> Path:
    """``../shared/data``: real COCO/MPII/CrowdPose samples (tests only)."""
    if not SHARED_DATA.is_dir():
        pytest.fail(f'shared test data not found at {SHARED_DATA}')
    return SHARED_DATA
