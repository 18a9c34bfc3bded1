"""Safe checkpoint loading (levitpose.utils.checkpoint) on real checkpoints
written by MMEngine's Runner and on crafted malicious ones."""
import builtins
import os
import pickle
import subprocess
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.logging import HistoryBuffer
from mmengine.runner import CheckpointLoader, Runner, load_checkpoint
from mmengine.runner.checkpoint import _load_checkpoint

from levitpose.utils.checkpoint import (InvalidCheckpointError,
                                        UnsafeCheckpointError,
                                        find_unsafe_globals,
                                        history_buffer_getattr,
                                        safe_load_checkpoint)

TINY_CONFIG = (
    Path(__file__).resolve().parents[1] / 'data' / 'reliability' /
    'tiny_topdown_coco.py')


@pytest.fixture(scope='module')
def mmengine_ckpt(tmp_path_factory) -> Path:
    """``epoch_1.pth`` of one real training epoch (with validation, so the
    message hub holds metrics) saved by MMEngine's Runner."""
    work_dir = tmp_path_factory.mktemp('tiny_run')
    torch.set_num_threads(1)
    cfg = Config.fromfile(str(TINY_CONFIG))
    cfg.merge_from_dict({
        'work_dir': str(work_dir),
        'experiment_name': 'test_checkpoint',
        'train_cfg.max_epochs': 1,
        'train_cfg.val_interval': 1,
        'model.backbone.widen_factor': 0.25,
        'model.head.in_channels': 1280,
    })
    Runner.from_cfg(cfg).train()
    return work_dir / 'epoch_1.pth'


# --- crafted payloads: unpickling each would run code -----------------------
class SystemPayload:

    def __init__(self, sentinel):
        self.sentinel = str(sentinel)

    def __reduce__(self):
        return os.system, (f'touch {self.sentinel}', )


class EvalPayload(SystemPayload):

    def __reduce__(self):
        return builtins.eval, (f"open({self.sentinel!r}, 'w')", )


class ExecPayload(SystemPayload):

    def __reduce__(self):
        return builtins.exec, (f"open({self.sentinel!r}, 'w')", )


class PopenPayload(SystemPayload):

    def __reduce__(self):
        return subprocess.Popen, (['touch', self.sentinel], )


class GetattrPayload(SystemPayload):
    """Escalation attempt through the allow-listed ``builtins.getattr``."""

    def __reduce__(self):
        return getattr, (HistoryBuffer, '__init__')


PAYLOADS = {
    'posix.system': SystemPayload,
    'builtins.eval': EvalPayload,
    'builtins.exec': ExecPayload,
    'Popen': PopenPayload,
    "builtins.getattr(HistoryBuffer, '__init__')": GetattrPayload,
}


def write_malicious(tmp_path: Path, payload_cls) -> Path:
    """A checkpoint that looks normal but carries ``payload_cls``."""
    path = tmp_path / 'model.pth'
    torch.save(
        {
            'state_dict': {
                'w': torch.zeros(3)
            },
            'meta': {
                'note': payload_cls(tmp_path / 'PWNED')
            }
        }, path)
    return path


def test_real_mmengine_checkpoint_needs_only_allowed_globals(mmengine_ckpt):
    assert find_unsafe_globals(str(mmengine_ckpt)) == []


def test_real_mmengine_checkpoint_loads_with_weights_only(mmengine_ckpt):
    ckpt = torch.load(mmengine_ckpt, map_location='cpu', weights_only=True)
    assert {
        'meta', 'state_dict', 'optimizer', 'param_schedulers', 'message_hub'
    } <= set(ckpt)
    loss = ckpt['message_hub']['log_scalars']['train/loss']
    assert isinstance(loss, HistoryBuffer)
    assert np.isfinite(loss.mean())  # statistics methods were restored
    assert isinstance(ckpt['meta']['dataset_meta']['sigmas'], np.ndarray)


def test_mmengine_load_checkpoint_restores_weights(mmengine_ckpt):
    saved = safe_load_checkpoint(str(mmengine_ckpt))['state_dict']
    model = torch.nn.Module()
    model.w = torch.nn.Parameter(torch.zeros(1))
    ckpt = load_checkpoint(model, str(mmengine_ckpt), map_location='cpu')
    assert ckpt['state_dict'].keys() == saved.keys()
    for key, value in saved.items():
        torch.testing.assert_close(ckpt['state_dict'][key], value)


def test_numpy1_module_names_load(mmengine_ckpt, tmp_path):
    """Checkpoints pickled under NumPy 1 (MMPose's model zoo) name
    ``numpy.core.multiarray``; they must load too."""
    old = tmp_path / 'numpy1.pth'
    with zipfile.ZipFile(mmengine_ckpt) as src, \
            zipfile.ZipFile(old, 'w', zipfile.ZIP_STORED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.endswith('data.pkl'):
                assert b'numpy._core.multiarray' in data
                data = data.replace(b'numpy._core.multiarray',
                                    b'numpy.core.multiarray')
            dst.writestr(info, data)
    ckpt = safe_load_checkpoint(str(old))
    assert isinstance(ckpt['meta']['dataset_meta']['sigmas'], np.ndarray)


def test_history_buffer_getattr_allows_statistics_methods():
    assert history_buffer_getattr(HistoryBuffer, 'mean') is HistoryBuffer.mean


@pytest.mark.parametrize('obj, name', [(HistoryBuffer, '__init__'),
                                       (HistoryBuffer, '__class__'),
                                       (np, 'mean'), (builtins, 'eval')])
def test_history_buffer_getattr_refuses_anything_else(obj, name):
    with pytest.raises(pickle.UnpicklingError, match='builtins.getattr'):
        history_buffer_getattr(obj, name)


@pytest.mark.parametrize('offender', list(PAYLOADS))
def test_malicious_checkpoint_refused_and_nothing_runs(offender, tmp_path):
    path = write_malicious(tmp_path, PAYLOADS[offender])
    with pytest.raises(UnsafeCheckpointError) as info:
        safe_load_checkpoint(str(path))
    message = str(info.value)
    assert offender in message and str(path) in message
    assert '\n' not in message
    assert not (tmp_path / 'PWNED').exists()


@pytest.mark.parametrize('offender', list(PAYLOADS))
def test_mmengine_loader_refuses_malicious_checkpoint(offender, tmp_path):
    path = write_malicious(tmp_path, PAYLOADS[offender])
    with pytest.raises(UnsafeCheckpointError, match=offender.split('(')[0]):
        _load_checkpoint(str(path), map_location='cpu')
    assert not (tmp_path / 'PWNED').exists()


def test_env_override_cannot_disable_the_check(tmp_path, monkeypatch):
    monkeypatch.setenv('TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD', '1')
    path = write_malicious(tmp_path, SystemPayload)
    with pytest.raises(UnsafeCheckpointError, match='posix.system'):
        CheckpointLoader.load_checkpoint(str(path), map_location='cpu')
    assert not (tmp_path / 'PWNED').exists()


def test_payload_really_runs_without_the_check(tmp_path):
    """The sentinel is a real detector: plain unpickling runs the payload."""
    pickle.loads(pickle.dumps(SystemPayload(tmp_path / 'PWNED')))
    assert (tmp_path / 'PWNED').exists()


def test_missing_checkpoint_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError, match='missing.pth'):
        safe_load_checkpoint(str(tmp_path / 'missing.pth'))


def test_legacy_format_malicious_checkpoint_refused(tmp_path):
    """torch's pre-1.6 (non-zip) format goes through the same unpickler."""
    path = tmp_path / 'legacy.pth'
    torch.save({'meta': SystemPayload(tmp_path / 'PWNED')},
               path,
               _use_new_zipfile_serialization=False)
    with pytest.raises(UnsafeCheckpointError, match='posix.system'):
        safe_load_checkpoint(str(path))
    assert not (tmp_path / 'PWNED').exists()


@pytest.mark.parametrize('kind', ['empty', 'zeros', 'text', 'jpeg', 'half'])
def test_corrupt_file_raises_invalid_checkpoint(kind, mmengine_ckpt, tmp_path):
    whole = mmengine_ckpt.read_bytes()
    data = {
        'empty': b'',
        'zeros': bytes(100),
        'text': b'hello world\n',
        'jpeg': b'\xff\xd8\xff\xe0' + bytes(64),
        'half': whole[:len(whole) // 2],  # a save killed half-way
    }[kind]
    path = tmp_path / 'bad.pth'
    path.write_bytes(data)
    with pytest.raises(InvalidCheckpointError, match='not a valid PyTorch'):
        safe_load_checkpoint(str(path))
