"""Run the repository's tools as users do: subprocesses from the root."""
import os
import subprocess
import sys
from pathlib import Path
from typing import List

REPO_ROOT = Path(__file__).resolve().parents[2]
QUICKSTART = 'configs/quickstart/levitpose-t_sample-coco-256x256.py'
# a few seconds per epoch on 2 CPU cores: 4 people, 2 per batch; stochastic
# depth on, so the torch random stream matters as much as the augmentation
SHORT_TRAINING = [
    'train_dataloader.dataset.indices=4', 'train_dataloader.batch_size=2',
    'model.backbone.drop_path_rate=0.1', 'default_hooks.logger.interval=1'
]


def run_tool(args: List[str],
             timeout: float = 600,
             threads: int = 1) -> subprocess.CompletedProcess:
    """Run ``args`` from the repository root; return the completed process.

    Args:
        args (list[str]): The command, e.g. ``[sys.executable, 'tools/...']``.
        timeout (float): Seconds before the run is killed. Defaults to 600.
        threads (int): ``OMP_NUM_THREADS`` of the child. Defaults to 1.
    """
    env = dict(
        os.environ,
        PYTHON=sys.executable,
        OMP_NUM_THREADS=str(threads),
        MKL_NUM_THREADS=str(threads),
        PYTHONWARNINGS='ignore')
    return subprocess.run(
        args,
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout)


def python_tool(script: str, *args: str, **kwargs):
    """Run ``python tools/<script> args...`` with the test's interpreter."""
    return run_tool([sys.executable, script, *args], **kwargs)
