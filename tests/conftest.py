"""Shared pytest fixtures: paths to the repository and the shared real data."""
from pathlib import Path

import pytest
from mmengine.registry import DefaultScope

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


@pytest.fixture(autouse=True)
def _mmpose_default_scope():
    """Run every test in MMPose's default registry scope, and undo any change.

    mmengine's default scope is process-wide: MMDetection's ``init_detector``
    (the demo and the detector tests) switches it to ``mmdet`` and leaves it
    there, after which building an MMPose module by name (a backbone, the
    heads' losses) fails in whichever test happens to run next.
    ``overwrite_default_scope`` restores the previous scopes on exit.
    """
    with DefaultScope.overwrite_default_scope('mmpose'):
        yield
