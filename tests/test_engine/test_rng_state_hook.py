"""Unit tests of ``RNGStateHook`` and its state helpers."""
import io
import random
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from mmengine.runner import EpochBasedTrainLoop

from levitpose.engine.hooks import RNGStateHook
from levitpose.engine.hooks.rng_state_hook import (CHECKPOINT_KEY,
                                                   get_rng_state,
                                                   set_rng_state)


def _draw() -> tuple:
    """One number from each generator the hook covers."""
    return (random.random(), float(np.random.rand()), float(torch.rand(())))


class _Sampler:

    def __init__(self, seed: int, epoch: int) -> None:
        self.seed, self.epoch = seed, epoch


def _runner(sampler: _Sampler, resume: bool = True) -> SimpleNamespace:
    loop = EpochBasedTrainLoop.__new__(EpochBasedTrainLoop)
    loop.dataloader = SimpleNamespace(
        sampler=sampler, num_workers=0, persistent_workers=False)
    return SimpleNamespace(
        _train_loop=loop, train_loop=loop, _resume=resume, iter=6)


def test_set_rng_state_replays_the_stream():
    state = get_rng_state()
    expected = [_draw() for _ in range(3)]
    set_rng_state(state)
    assert [_draw() for _ in range(3)] == expected


def test_rng_state_survives_weights_only_loading():
    state = get_rng_state()
    expected = _draw()
    buffer = io.BytesIO()
    torch.save({CHECKPOINT_KEY: state}, buffer)
    buffer.seek(0)
    loaded = torch.load(buffer, weights_only=True)[CHECKPOINT_KEY]
    _draw()
    set_rng_state(loaded)
    assert _draw() == expected


def test_set_rng_state_names_missing_generators():
    with pytest.raises(KeyError, match='numpy'):
        set_rng_state(
            dict(
                python=get_rng_state()['python'], torch=torch.get_rng_state()))


def test_next_epoch_ignores_numbers_drawn_between_epochs():
    hook, sampler = RNGStateHook(), _Sampler(seed=3, epoch=1)
    runner = _runner(sampler)
    hook.after_train_epoch(runner)
    expected = _draw()
    _draw()  # e.g. validation or saving draws numbers
    hook.before_train_epoch(runner)
    assert _draw() == expected


def test_checkpoint_holds_the_end_of_epoch_state_and_sampler():
    hook, sampler = RNGStateHook(), _Sampler(seed=3, epoch=1)
    runner = _runner(sampler)
    hook.after_train_epoch(runner)
    expected = _draw()
    checkpoint = {}
    hook.before_save_checkpoint(runner, checkpoint)
    assert checkpoint[CHECKPOINT_KEY]['sampler'] == dict(seed=3, epoch=1)

    resumed_sampler = _Sampler(seed=99, epoch=0)
    resumed = _runner(resumed_sampler)
    RNGStateHook().after_load_checkpoint(resumed, checkpoint)
    assert _draw() == expected
    assert (resumed_sampler.seed, resumed_sampler.epoch) == (3, 1)


def test_load_from_without_resume_keeps_a_fresh_stream():
    hook = RNGStateHook()
    runner = _runner(_Sampler(0, 0))
    hook.after_train_epoch(runner)
    checkpoint = {}
    hook.before_save_checkpoint(runner, checkpoint)
    replayed = _draw()
    fresh = _runner(_Sampler(0, 0), resume=False)
    RNGStateHook().after_load_checkpoint(fresh, checkpoint)
    assert _draw() != replayed


def test_checkpoint_mid_epoch_holds_the_current_state():
    hook = RNGStateHook()
    runner = _runner(_Sampler(0, 0))
    hook.after_train_epoch(runner)  # captured at iteration 6
    _draw()
    runner.iter = 8  # a save after iteration 8 (by_epoch=False)
    checkpoint = {}
    hook.before_save_checkpoint(runner, checkpoint)
    expected = _draw()
    set_rng_state(checkpoint[CHECKPOINT_KEY]['generators'])
    assert _draw() == expected
