"""CrashSafeCheckpointHook: atomic saves (through the registered
``atomic_local`` file backend), strict loads, repair of ``last_checkpoint``,
a ``--resume`` that warns about what it rejected, and resuming after a real
training process is SIGKILLed while it saves."""
import logging
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import mmpose
import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner
from tiny_runner import TINY_CONFIG, tiny_runner

from levitpose.engine.hooks import CrashSafeCheckpointHook
from levitpose.engine.hooks import crash_safe_checkpoint_hook as hook_module
from levitpose.utils import (ATOMIC_BACKEND_ARGS, AtomicLocalBackend,
                             CheckpointMismatchError)
from levitpose.utils.atomic_file import checkpoint_problem
from levitpose.utils.checkpoint import safe_load_checkpoint

REPO = Path(__file__).resolve().parents[2]
# `mim train mmpose <config>` runs this script
MIM_TRAIN = Path(mmpose.__file__).parent / '.mim' / 'tools' / 'train.py'


def train_tiny(work_dir: Path, **options) -> Runner:
    """Train the tiny config in this process."""
    runner = tiny_runner(work_dir, 'crash_safe', **options)
    runner.train()
    return runner


@pytest.fixture(scope='module')
def two_epochs(tmp_path_factory) -> Path:
    """Work dir of a 2-epoch run keeping one checkpoint, saving the best."""
    work_dir = tmp_path_factory.mktemp('two_epochs')
    train_tiny(
        work_dir, **{
            'train_cfg.max_epochs': 2,
            'train_cfg.val_interval': 1,
            'default_hooks.checkpoint.max_keep_ckpts': 1,
            'default_hooks.checkpoint.save_best': 'coco/AP',
            'default_hooks.checkpoint.rule': 'greater',
        })
    return work_dir


def is_complete_checkpoint(path: str) -> bool:
    return checkpoint_problem(path) is None


def test_runtime_base_selects_the_hook():
    cfg = Config.fromfile(
        str(REPO / 'configs' / '_base_' / 'levitpose_runtime.py'))
    assert cfg.default_hooks.checkpoint.type == 'CrashSafeCheckpointHook'


def test_saves_leave_only_complete_checkpoints(two_epochs):
    names = sorted(p.name for p in two_epochs.iterdir() if p.is_file())
    assert not [n for n in names if 'partial' in n]
    assert 'epoch_2.pth' in names and 'epoch_1.pth' not in names  # max_keep
    assert [n for n in names if n.startswith('best_coco_AP_epoch_')]
    for path in two_epochs.glob('*.pth'):
        assert is_complete_checkpoint(str(path))
        safe_load_checkpoint(str(path))


def test_last_checkpoint_names_the_newest(two_epochs):
    pointer = (two_epochs / 'last_checkpoint').read_text()
    assert pointer == str(two_epochs / 'epoch_2.pth')


def make_hook_dir(tmp_path: Path, source: Path) -> Path:
    """epoch_1 complete, epoch_2 truncated, a partial file left behind."""
    shutil.copy(source, tmp_path / 'epoch_1.pth')
    data = source.read_bytes()
    (tmp_path / 'epoch_2.pth').write_bytes(data[:len(data) // 2])
    (tmp_path / '.epoch_3.pth.123.partial').write_bytes(data[:100])
    return tmp_path


def run_before_run(work_dir: Path, **cfg) -> None:
    hook = CrashSafeCheckpointHook(interval=1)
    hook.before_run(SimpleNamespace(work_dir=str(work_dir), cfg=Config(cfg)))


@pytest.fixture
def logged(monkeypatch):
    """(level, message) of each line the hook logs."""
    lines = []
    monkeypatch.setattr(
        hook_module,
        'print_log',
        lambda msg, logger=None, level=logging.INFO: lines.append(
            (level, msg)))
    return lines


def test_saves_go_through_the_atomic_backend(tmp_path):
    hook = CrashSafeCheckpointHook(interval=1)
    assert hook.backend_args == ATOMIC_BACKEND_ARGS
    from mmengine.fileio import get_file_backend
    backend = get_file_backend(str(tmp_path), backend_args=hook.backend_args)
    assert isinstance(backend, AtomicLocalBackend)
    other = CrashSafeCheckpointHook(
        interval=1, backend_args=dict(backend='local'))
    assert other.backend_args == dict(backend='local')  # the user's choice


def test_resume_warns_about_the_truncated_only_checkpoint(
        two_epochs, tmp_path, logged):
    data = (two_epochs / 'epoch_2.pth').read_bytes()
    (tmp_path / 'epoch_1.pth').write_bytes(data[:len(data) // 2])
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'epoch_1.pth'))
    run_before_run(tmp_path, resume=True, load_from=None)
    warnings = [msg for level, msg in logged if level == logging.WARNING]
    assert len(warnings) == 1, logged
    assert 'found no usable checkpoint' in warnings[0]
    assert f'rejected {tmp_path / "epoch_1.pth"}: it is truncated' in \
        warnings[0]
    assert 'training starts from scratch' in warnings[0]


def test_resume_warns_when_there_is_no_checkpoint(tmp_path, logged):
    run_before_run(tmp_path, resume=True, load_from=None)
    assert [level for level, _ in logged] == [logging.WARNING]
    assert 'found no usable checkpoint' in logged[0][1]


def test_without_resume_a_repair_is_only_info(two_epochs, tmp_path, logged):
    make_hook_dir(tmp_path, two_epochs / 'epoch_2.pth')
    run_before_run(tmp_path)
    assert logged and all(level == logging.INFO for level, _ in logged)


def _load_runner(model, load_from='other.pth'):
    return SimpleNamespace(
        model=model,
        work_dir='.',
        cfg=SimpleNamespace(
            get=dict(load_from=load_from).get, filename='config.py'))


def test_load_of_a_checkpoint_that_does_not_fit_is_refused():
    model = torch.nn.Sequential(torch.nn.Linear(2, 3))
    other = torch.nn.Sequential(torch.nn.Linear(2, 4))
    hook = CrashSafeCheckpointHook(interval=1)
    with pytest.raises(CheckpointMismatchError) as info:
        hook.after_load_checkpoint(
            _load_runner(model), dict(state_dict=other.state_dict()))
    assert str(info.value).startswith(
        'checkpoint other.pth does not fit config config.py: 2 shape '
        'mismatch(es)')


def test_load_of_a_fitting_checkpoint_copies_it():
    model = torch.nn.Sequential(torch.nn.Linear(2, 3))
    same = torch.nn.Sequential(torch.nn.Linear(2, 3))
    hook = CrashSafeCheckpointHook(interval=1)
    hook.after_load_checkpoint(
        _load_runner(model), dict(state_dict=same.state_dict()))
    assert torch.equal(model[0].weight, same[0].weight)


def test_before_run_points_to_newest_complete_checkpoint(two_epochs, tmp_path):
    work_dir = make_hook_dir(tmp_path, two_epochs / 'epoch_2.pth')
    (work_dir / 'last_checkpoint').write_text(str(work_dir / 'epoch_2.pth'))
    run_before_run(work_dir)
    pointer = (work_dir / 'last_checkpoint').read_text()
    assert pointer == str(work_dir / 'epoch_1.pth')


def test_before_run_removes_partial_files(two_epochs, tmp_path):
    work_dir = make_hook_dir(tmp_path, two_epochs / 'epoch_2.pth')
    run_before_run(work_dir)
    assert not list(work_dir.glob('.*partial'))


def test_before_run_writes_missing_pointer(two_epochs, tmp_path):
    """Killed between committing the checkpoint and writing the pointer."""
    work_dir = make_hook_dir(tmp_path, two_epochs / 'epoch_2.pth')
    run_before_run(work_dir)
    pointer = (work_dir / 'last_checkpoint').read_text()
    assert pointer == str(work_dir / 'epoch_1.pth')


def test_before_run_drops_pointer_without_complete_checkpoint(tmp_path):
    (tmp_path / 'epoch_1.pth').write_bytes(b'PK\x03\x04 truncated')
    (tmp_path / 'last_checkpoint').write_text('')  # killed while writing it
    run_before_run(tmp_path)
    assert not (tmp_path / 'last_checkpoint').exists()


OUR_TRAIN = REPO / 'tools' / 'train.py'


def start_training(script: Path, work_dir: Path, *args:
                   str) -> subprocess.Popen:
    env = dict(os.environ, OMP_NUM_THREADS='1')
    cmd = [
        sys.executable,
        str(script),
        str(TINY_CONFIG), '--work-dir',
        str(work_dir), *args
    ]
    return subprocess.Popen(
        cmd,
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True)


def kill_while_saving(script: Path, work_dir: Path, epoch: int) -> None:
    """SIGKILL the run as soon as the save of ``epoch`` becomes visible: a
    partial file or (for a non-atomic writer) ``epoch_N.pth`` itself."""
    proc = start_training(script, work_dir)
    name = f'epoch_{epoch}.pth'
    while proc.poll() is None:
        names = os.listdir(work_dir) if work_dir.is_dir() else []
        if any(n == name or (name in n and 'partial' in n) for n in names):
            proc.send_signal(signal.SIGKILL)
            break
        time.sleep(0.002)
    log, _ = proc.communicate()
    assert proc.returncode == -signal.SIGKILL, log[-2000:]


@pytest.mark.slow
@pytest.mark.parametrize(
    'script, epoch', [(MIM_TRAIN, 2), (OUR_TRAIN, 3)],
    ids=['mim-train', 'tools-train'])
def test_sigkill_during_save_then_resume(tmp_path, script, epoch):
    """``mim train mmpose`` runs MMPose's tools/train.py; ours is
    tools/train.py. Both take the hook from the config."""
    kill_while_saving(script, tmp_path, epoch)
    for path in tmp_path.glob('*.pth'):  # every checkpoint present is whole
        assert is_complete_checkpoint(str(path)), path.name
        safe_load_checkpoint(str(path))
    last_complete = max(
        int(p.stem.split('_')[1]) for p in tmp_path.glob('epoch_*.pth'))
    assert last_complete in (epoch - 1, epoch)  # killed before/after commit
    proc = start_training(script, tmp_path, '--resume')
    log, _ = proc.communicate(timeout=300)
    assert proc.returncode == 0, log[-2000:]
    assert f'resumed epoch: {last_complete}' in log
    assert is_complete_checkpoint(str(tmp_path / 'epoch_4.pth'))
    assert not list(tmp_path.glob('.*partial'))
