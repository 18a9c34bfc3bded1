"""The distributed set-up and teardown the tools share."""
import socket

import pytest
import torch.distributed as torch_dist
from mmengine.config import Config

from levitpose.cli import close_distributed, init_cpu_distributed


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


@pytest.fixture
def torchrun_env(monkeypatch):
    """The variables ``torchrun`` sets, for a world of one process."""
    for key, value in (('RANK', '0'), ('LOCAL_RANK', '0'), ('WORLD_SIZE', '1'),
                       ('MASTER_ADDR', '127.0.0.1'), ('MASTER_PORT',
                                                      str(_free_port()))):
        monkeypatch.setenv(key, value)
    yield
    if torch_dist.is_initialized():
        torch_dist.destroy_process_group()


def test_cpu_launch_joins_gloo_and_close_destroys_it(torchrun_env):
    cfg = Config(dict(launcher='pytorch'))
    assert init_cpu_distributed(cfg)
    assert torch_dist.is_initialized()
    assert torch_dist.get_backend() == 'gloo'
    assert cfg.env_cfg.dist_cfg.backend == 'gloo'
    assert cfg.model_wrapper_cfg.device_ids is None
    close_distributed()
    assert not torch_dist.is_initialized()
    close_distributed()  # a second call (or none started) does nothing


def test_close_after_finished_work_waits_at_a_barrier(torchrun_env,
                                                      monkeypatch):
    calls = []
    monkeypatch.setattr(torch_dist, 'barrier', lambda: calls.append('b'))
    assert init_cpu_distributed(Config(dict(launcher='pytorch')))
    close_distributed(finished=True)
    assert calls == ['b'] and not torch_dist.is_initialized()
    # after an error no process waits for the others (they may never come)
    assert init_cpu_distributed(Config(dict(launcher='pytorch')))
    close_distributed()
    assert calls == ['b'] and not torch_dist.is_initialized()


def test_no_launcher_starts_nothing():
    cfg = Config(dict(launcher='none'))
    assert not init_cpu_distributed(cfg)
    assert not torch_dist.is_initialized()
    assert 'env_cfg' not in cfg
    close_distributed()
