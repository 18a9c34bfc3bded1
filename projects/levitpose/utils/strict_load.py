"""Load weights strictly: a checkpoint that does not fit its model is
refused, naming the keys (MMEngine's ``load_checkpoint`` only warns).

Every path that puts weights into a model goes through
:func:`load_state_dict_strictly`: :func:`load_weights_strictly` (the
inference API, the demo, the ONNX exporter, the analysis tools) and, for
MMEngine's Runner (``tools/train.py`` ``load_from``/``--resume``,
``tools/test.py``, ``mim train``/``mim test``), the checkpoint hook of the
configs (:class:`levitpose.engine.hooks.CrashSafeCheckpointHook`).
"""
import pickle
import zipfile
from collections import OrderedDict
from typing import Any, Dict, List, Mapping, Tuple

import torch
from torch import nn

from .checkpoint import safe_load_checkpoint
from .errors import InvalidInputError, LEViTPoseError, describe_error

__all__ = [
    'CheckpointMismatchError', 'MAX_KEYS_NAMED', 'describe_keys',
    'describe_mismatch', 'state_dict_of', 'load_state_dict_strictly',
    'load_weights_strictly', 'read_checkpoint'
]

#: How many keys of each kind a message names before "and N more".
MAX_KEYS_NAMED = 5
_MODULE_PREFIX = 'module.'  # added by (Distributed)DataParallel


class CheckpointMismatchError(InvalidInputError):
    """A checkpoint's keys or shapes do not fit the model."""


def describe_keys(keys: List[str]) -> str:
    """Name at most :data:`MAX_KEYS_NAMED` keys and count the rest.

    Args:
        keys (list[str]): State-dict keys.

    Returns:
        str: e.g. ``'a.weight, b.bias and 3 more'``.
    """
    named = ', '.join(keys[:MAX_KEYS_NAMED])
    rest = len(keys) - MAX_KEYS_NAMED
    return named + (f' and {rest} more' if rest > 0 else '')


def describe_mismatch(parts: List[Tuple[str, List[str]]]) -> str:
    """One clause per non-empty part: ``'{count} {what}: {keys}'``.

    Args:
        parts (list[tuple[str, list[str]]]): ``(what, keys)`` pairs, e.g.
            ``('missing key(s)', missing)``.

    Returns:
        str: The clauses joined by ``'; '``; empty if every part is.
    """
    return '; '.join(f'{len(keys)} {what}: {describe_keys(keys)}'
                     for what, keys in parts if keys)


def state_dict_of(checkpoint: Any, source: str) -> Dict[str, torch.Tensor]:
    """The weights of a loaded checkpoint, without a ``module.`` prefix.

    Args:
        checkpoint (Any): What :func:`torch.load` returned: a dict with a
            ``state_dict``, or a bare state dict.
        source (str): How to name the checkpoint in messages.

    Returns:
        dict: Key -> tensor.

    Raises:
        InvalidInputError: If it holds no dict of tensors.
    """
    state = checkpoint.get('state_dict', checkpoint) \
        if isinstance(checkpoint, Mapping) else None
    if not isinstance(state, Mapping) or not all(
            isinstance(v, torch.Tensor) for v in state.values()):
        raise InvalidInputError(
            f'checkpoint {source} holds no state dict (expected a dict of '
            'tensors, or one under "state_dict")')
    return OrderedDict(
        (k[len(_MODULE_PREFIX):] if k.startswith(_MODULE_PREFIX) else k, v)
        for k, v in state.items())


def load_state_dict_strictly(model: nn.Module, state: Mapping[str,
                                                              torch.Tensor],
                             source: str, target: str) -> None:
    """Copy ``state`` into ``model``; every key and shape must match.

    Args:
        model (nn.Module): The model built from the config.
        state (Mapping[str, Tensor]): From :func:`state_dict_of`.
        source (str): How to name the checkpoint in messages.
        target (str): How to name the model, e.g. ``'config x.py'``.

    Raises:
        CheckpointMismatchError: Naming the first missing, unexpected and
            mis-shaped keys (checkpoint vs model); ``model`` is unchanged.
    """
    expected = model.state_dict()
    mismatched = [
        f'{k} {tuple(v.shape)} vs {tuple(expected[k].shape)}'
        for k, v in state.items()
        if k in expected and v.shape != expected[k].shape
    ]
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    problems = describe_mismatch([('missing key(s)', missing),
                                  ('unexpected key(s)', unexpected),
                                  ('shape mismatch(es) (checkpoint vs model)',
                                   mismatched)])
    if problems:
        raise CheckpointMismatchError(
            f'checkpoint {source} does not fit {target}: {problems}')
    model.load_state_dict(state, strict=True)


def read_checkpoint(checkpoint: str, map_location: str = 'cpu') -> Any:
    """Read ``checkpoint`` weights-only; every failure is one line.

    Args:
        checkpoint (str): Path of the checkpoint.
        map_location (str): As in :func:`torch.load`. Defaults to
            ``'cpu'``.

    Returns:
        Any: What the file holds (usually a dict).

    Raises:
        MissingFileError: If the file does not exist.
        UnsafeCheckpointError: If it needs globals that are not allowed.
        InvalidInputError: If it is not a checkpoint.
    """
    try:
        return safe_load_checkpoint(checkpoint, map_location=map_location)
    except LEViTPoseError:
        raise
    except (pickle.UnpicklingError, RuntimeError, EOFError, OSError,
            zipfile.BadZipFile) as err:
        raise InvalidInputError(f'cannot read checkpoint {checkpoint}: '
                                f'{describe_error(err)}') from err
    except Exception as err:  # noqa: BLE001
        # the weights-only unpickler is Python code: malformed bytes end in
        # whatever it meets (IndexError on an empty stack, struct.error on
        # a cut integer, ...); every one means the file is not a checkpoint
        raise InvalidInputError(
            f'cannot read checkpoint {checkpoint}: not a valid checkpoint '
            f'({type(err).__name__}: {describe_error(err)})') from err


def load_weights_strictly(model: nn.Module,
                          checkpoint: str,
                          target: str = 'the config') -> dict:
    """Read ``checkpoint`` weights-only and load it strictly into ``model``.

    Args:
        model (nn.Module): The model built from the config.
        checkpoint (str): Path of the checkpoint.
        target (str): How to name the model in messages. Defaults to
            ``'the config'``.

    Returns:
        dict: The loaded checkpoint (``meta`` etc.), or ``{}`` if the file
        held a bare state dict.

    Raises:
        MissingFileError: If the file does not exist.
        UnsafeCheckpointError: If it needs globals that are not allowed.
        InvalidInputError: If it is not a checkpoint.
        CheckpointMismatchError: If its keys or shapes do not fit.
    """
    ckpt = read_checkpoint(checkpoint)
    load_state_dict_strictly(model, state_dict_of(ckpt, checkpoint),
                             checkpoint, target)
    return ckpt if isinstance(ckpt, dict) and 'state_dict' in ckpt else {}
