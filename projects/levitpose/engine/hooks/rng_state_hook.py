"""A hook that makes ``--resume`` continue the same random stream.

MMEngine 0.10.7 checkpoints hold the model, the optimizer, the schedulers
and the loop counters, but not the random number generators. A resumed run
therefore re-seeds Python's :mod:`random`, NumPy and torch from the config
and draws different augmentations, shuffles and dropout masks than the run
it continues. :class:`RNGStateHook` saves, in every checkpoint,

* the states of Python's :mod:`random`, NumPy's global generator and
  torch's CPU generator (and every CUDA device's, if CUDA is available);
* the train data loader's sampler state (its ``seed`` and ``epoch``), which
  fixes the shuffle order of each epoch;

and restores them when a checkpoint is resumed.

Which state is saved: with an epoch-based loop, the state at the end of the
last training epoch. The hook also restores that state at the start of the
next training epoch, in resumed and uninterrupted runs alike, so random
numbers drawn by validation (e.g. the val loader's iterator seed) or by
saving never leak into training. Training then depends only on the seed and
the training epochs run, and a run resumed after epoch ``N`` ends with the
same weights as one that never stopped (bit-identical on CPU with
``randomness=dict(seed=..., deterministic=True)``).

Augmentations must draw from these generators in the main process for the
stream to be complete: use ``num_workers=0``, or workers that are not
persistent (MMEngine then re-seeds every worker identically each epoch).
Persistent workers keep generator states the main process cannot read; the
hook warns about them.
"""
import logging
import random
from typing import Any, Dict, Optional

import numpy as np
import torch
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.runner import EpochBasedTrainLoop
from mmpose.registry import HOOKS

__all__ = ['RNGStateHook', 'get_rng_state', 'set_rng_state']

CHECKPOINT_KEY = 'rng_state'  # top-level key of the checkpoint dict


def get_rng_state() -> Dict[str, Any]:
    """Return the states of Python's, NumPy's and torch's generators.

    Returns:
        dict: ``python`` (a list, so that torch's weights-only unpickler
        accepts it), ``numpy`` (``(name, keys, pos, has_gauss, gauss)``
        with ``keys`` a ``uint32`` array), ``torch`` (a ``uint8`` tensor)
        and, if CUDA is available, ``cuda`` (a list of tensors).
    """
    version, internal, gauss = random.getstate()
    name, keys, pos, has_gauss, cached = np.random.get_state()
    state = dict(
        python=[version, list(internal), gauss],
        numpy=[name,
               keys.copy(),
               int(pos),
               int(has_gauss),
               float(cached)],
        torch=torch.get_rng_state())
    if torch.cuda.is_available():
        state['cuda'] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: Dict[str, Any]) -> None:
    """Restore generator states returned by :func:`get_rng_state`.

    Args:
        state (dict): The states to restore.

    Raises:
        KeyError: If ``state`` lacks ``python``, ``numpy`` or ``torch``.
    """
    missing = {'python', 'numpy', 'torch'} - set(state)
    if missing:
        raise KeyError(f'RNG state lacks {sorted(missing)}; it has '
                       f'{sorted(state)}')
    version, internal, gauss = state['python']
    random.setstate((version, tuple(internal), gauss))
    name, keys, pos, has_gauss, cached = state['numpy']
    np.random.set_state((name, np.asarray(keys, dtype=np.uint32), int(pos),
                         int(has_gauss), float(cached)))
    torch.set_rng_state(state['torch'].cpu())
    if 'cuda' in state and torch.cuda.is_available():
        cuda_states = state['cuda']
        if len(cuda_states) == torch.cuda.device_count():
            torch.cuda.set_rng_state_all([s.cpu() for s in cuda_states])
        else:
            print_log(
                f'RNGStateHook: the checkpoint has {len(cuda_states)} CUDA '
                f'generator states but {torch.cuda.device_count()} devices '
                'are visible; CUDA generators are not restored.',
                logger='current',
                level=logging.WARNING)


@HOOKS.register_module()
class RNGStateHook(Hook):
    """Save the random state in checkpoints and restore it on resume.

    See the module docstring for what is saved and when. Add it to
    ``custom_hooks``; it has no arguments.
    """

    priority = 'VERY_HIGH'  # restore before other hooks draw numbers

    def __init__(self) -> None:
        self._state: Optional[Dict[str, Any]] = None
        self._state_iter: Optional[int] = None  # when _state was captured

    @staticmethod
    def _sampler(runner) -> Any:
        """The train loader's sampler, if a train loop is built."""
        loop = getattr(runner, '_train_loop', None)
        loader = getattr(loop, 'dataloader', None)
        sampler = getattr(loader, 'sampler', None)
        if sampler is None and hasattr(loader, 'batch_sampler'):
            sampler = getattr(loader.batch_sampler, 'sampler', None)
        return sampler

    def _sampler_state(self, runner) -> Dict[str, Any]:
        sampler = self._sampler(runner)
        return {
            key: getattr(sampler, key)
            for key in ('seed', 'epoch')
            if isinstance(getattr(sampler, key, None), int)
        }

    def _capture(self, runner) -> Dict[str, Any]:
        return dict(
            generators=get_rng_state(), sampler=self._sampler_state(runner))

    def _restore(self, runner, state: Dict[str, Any]) -> None:
        set_rng_state(state['generators'])
        sampler = self._sampler(runner)
        for key, value in state.get('sampler', {}).items():
            if hasattr(sampler, key):
                setattr(sampler, key, value)

    def before_train(self, runner) -> None:
        """Warn if augmentation runs in persistent workers."""
        loader = getattr(runner.train_loop, 'dataloader', None)
        if (getattr(loader, 'num_workers', 0) > 0
                and getattr(loader, 'persistent_workers', False)):
            print_log(
                'RNGStateHook: the train loader has persistent workers, '
                'whose random state cannot be saved; a resumed run will '
                'draw different augmentations. Use num_workers=0 or '
                'persistent_workers=False for an exact resume.',
                logger='current',
                level=logging.WARNING)

    def before_train_epoch(self, runner) -> None:
        """Continue from the state saved at the end of the last epoch."""
        if self._state is not None:
            self._restore(runner, self._state)

    def after_train_epoch(self, runner) -> None:
        """Keep the state training ended the epoch with."""
        self._state = self._capture(runner)
        self._state_iter = runner.iter

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        """Store the state under ``checkpoint['rng_state']``."""
        at_epoch_end = (
            isinstance(runner.train_loop, EpochBasedTrainLoop)
            and self._state is not None and self._state_iter == runner.iter)
        checkpoint[CHECKPOINT_KEY] = (
            self._state if at_epoch_end else self._capture(runner))

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        """Restore the state of a resumed checkpoint.

        ``load_from`` (weights only, no resume) keeps the fresh state: a new
        run starts its own stream.
        """
        state = checkpoint.get(CHECKPOINT_KEY)
        if not getattr(runner, '_resume', False):
            return
        if state is None:
            print_log(
                'RNGStateHook: the resumed checkpoint has no RNG state; '
                'the run continues with a fresh random stream.',
                logger='current',
                level=logging.WARNING)
            return
        self._state = state
        self._restore(runner, state)
