"""glibc's malloc thresholds for CPU inference (deploy/allocator.py): set
once where glibc is, nothing elsewhere, and a LEViTPose-T forward in a
process of its own then takes no page faults."""
import subprocess
import sys

import pytest

from levitpose.deploy import allocator

# a process of its own: the thresholds are process-wide
FAULTS_PER_FORWARD = """
import resource, sys, warnings
import torch
warnings.simplefilter('ignore')
from levitpose.apis import init_pose_model
from levitpose.deploy import optimize_for_cpu
torch.set_num_threads(1)
model = init_pose_model(sys.argv[1]).eval()
fast = optimize_for_cpu(model, (1, 3, 256, 256), mode='deploy',
                        keep_memory=sys.argv[2] == 'keep')
x = torch.rand(1, 3, 256, 256)
faults = []
with torch.no_grad():
    for _ in range(3):
        fast(x)
    for _ in range(7):
        before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        fast(x)
        faults.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt -
                      before)
# the median forward: the heap may still grow once in the first forwards
# after the warm-up (a few hundred pages, once), then every forward is at 0
print(sorted(faults)[len(faults) // 2])
"""


@pytest.fixture
def fresh(monkeypatch):
    """The module as if never called (restored after the test)."""
    monkeypatch.setattr(allocator, '_applied', None)
    return allocator


@pytest.mark.skipif(
    not sys.platform.startswith('linux'), reason='glibc malloc')
def test_sets_the_thresholds_once(fresh, monkeypatch):
    calls = []
    real = fresh._mallopt
    monkeypatch.setattr(
        fresh, '_mallopt',
        lambda settings: calls.append(settings) or real(settings))
    assert fresh.keep_freed_memory() is True
    assert fresh.keep_freed_memory() is True
    assert calls == [((-3, fresh.MMAP_THRESHOLD), (-1, fresh.TRIM_THRESHOLD))]


def test_does_nothing_without_glibc(fresh, monkeypatch):
    monkeypatch.setattr(sys, 'platform', 'darwin')
    assert fresh.keep_freed_memory() is False


@pytest.mark.slow
@pytest.mark.skipif(
    not sys.platform.startswith('linux'), reason='glibc malloc')
def test_levitpose_t_forward_takes_no_page_faults(levitpose_t_config,
                                                  repo_root):

    def faults(keep):
        proc = subprocess.run([
            sys.executable, '-c', FAULTS_PER_FORWARD, levitpose_t_config, keep
        ],
                              capture_output=True,
                              text=True,
                              cwd=repo_root,
                              timeout=300)
        assert proc.returncode == 0, proc.stderr[-2000:]
        return float(proc.stdout.split()[-1])

    assert faults('keep') < 20
    # what it saves: glibc gives the freed activations back to the kernel
    assert faults('leave') > 500
