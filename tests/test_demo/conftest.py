"""Fixtures of the demo tests: run the demo as a user would."""
import subprocess
import sys
from pathlib import Path

import pytest
from test_apis.conftest import coco_sample  # noqa: F401  a shared fixture

DEMO = Path(__file__).resolve().parents[2] / 'demo' / \
    'topdown_demo_with_mmdet.py'
TINY_DET_CONFIG = Path(__file__).resolve().parent / 'data' / \
    'tiny_rtmdet_person.py'


def run_demo(*args, cwd=None) -> subprocess.CompletedProcess:
    """Run the demo in a fresh Python, as ``make demo`` does."""
    return subprocess.run([sys.executable,
                           str(DEMO), *map(str, args)],
                          cwd=cwd,
                          capture_output=True,
                          text=True,
                          timeout=600)


@pytest.fixture(scope='session')
def demo_module(load_tool):
    """The demo script imported as a module (to call ``main`` in-process).
    """
    return load_tool('demo/topdown_demo_with_mmdet.py')


@pytest.fixture(scope='session')
def tiny_detector(tmp_path_factory):
    """(config, checkpoint) of a randomly initialised tiny RTMDet."""
    import torch
    from mmdet.apis import init_detector

    import levitpose  # noqa: F401  safe checkpoint loading
    torch.manual_seed(0)
    model = init_detector(str(TINY_DET_CONFIG), None, device='cpu')
    path = tmp_path_factory.mktemp('det') / 'tiny_rtmdet_person.pth'
    torch.save(
        dict(
            state_dict=model.state_dict(),
            meta=dict(dataset_meta=dict(classes=('person', )))), str(path))
    return str(TINY_DET_CONFIG), str(path)


@pytest.fixture(scope='session')
def sample_video(shared_data):
    return shared_data / 'mmpose' / 'demo' / 'resources' / 'demo.mp4'
