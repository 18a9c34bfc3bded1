"""Load a checkpoint into a model strictly, naming every key that does not
fit (MMEngine's ``load_checkpoint`` only warns about them)."""
import pickle
import zipfile
from collections import OrderedDict
from typing import Any, Dict, List

import torch
from torch import nn

from ..utils.checkpoint import UnsafeCheckpointError, safe_load_checkpoint
from .errors import InvalidInputError, MissingFileError

__all__ = ['load_weights_strictly', 'describe_keys']

#: How many keys of each kind a message names before "and N more".
MAX_KEYS_NAMED = 5


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


def _read(checkpoint: str) -> Any:
    try:
        return safe_load_checkpoint(checkpoint, map_location='cpu')
    except FileNotFoundError as err:
        raise MissingFileError(
            f'checkpoint {checkpoint} does not exist') from err
    except UnsafeCheckpointError:
        raise
    except (ValueError, pickle.UnpicklingError, RuntimeError, EOFError,
            OSError, zipfile.BadZipFile) as err:
        # ValueError: levitpose.utils' InvalidCheckpointError (corrupt file)
        detail = str(err).strip().splitlines()[0] if str(err) else ''
        raise InvalidInputError(
            f'cannot read checkpoint {checkpoint}: {detail or type(err)}'
        ) from err


def _state_dict(ckpt: Any, checkpoint: str) -> Dict[str, torch.Tensor]:
    state = ckpt.get('state_dict', ckpt) if isinstance(ckpt, dict) else None
    if not isinstance(state, dict) or not all(
            isinstance(v, torch.Tensor) for v in state.values()):
        raise InvalidInputError(
            f'checkpoint {checkpoint} holds no state dict (expected a dict '
            'of tensors, or one under "state_dict")')
    return OrderedDict(
        (k[len('module.'):] if k.startswith('module.') else k, v)
        for k, v in state.items())


def load_weights_strictly(model: nn.Module,
                          checkpoint: str,
                          config_name: str = 'the config') -> dict:
    """Load ``checkpoint`` into ``model``; every key must match.

    The file is read with the weights-only unpickler
    (:func:`levitpose.utils.safe_load_checkpoint`).

    Args:
        model (nn.Module): The model built from the config.
        checkpoint (str): Path of the checkpoint.
        config_name (str): How to name the config in messages. Defaults to
            ``'the config'``.

    Returns:
        dict: The loaded checkpoint (``meta`` etc.), or ``{}`` if the file
        held a bare state dict.

    Raises:
        MissingFileError: If the file does not exist.
        InvalidInputError: If it is not a checkpoint, or its keys or shapes
            do not fit the model; the message names the keys.
        UnsafeCheckpointError: If it needs globals that are not allowed.
    """
    ckpt = _read(checkpoint)
    state = _state_dict(ckpt, checkpoint)
    expected = model.state_dict()
    fits = {
        k: k not in expected or v.shape == expected[k].shape
        for k, v in state.items()
    }
    mismatched = [
        f'{k} {tuple(v.shape)} vs {tuple(expected[k].shape)}'
        for k, v in state.items() if not fits[k]
    ]
    fitting = OrderedDict((k, v) for k, v in state.items() if fits[k])
    result = model.load_state_dict(fitting, strict=False)
    problems = []
    missing = [k for k in result.missing_keys if fits.get(k, True)]
    if missing:
        problems.append(f'{len(missing)} missing key(s): '
                        f'{describe_keys(missing)}')
    if result.unexpected_keys:
        problems.append(f'{len(result.unexpected_keys)} unexpected key(s): '
                        f'{describe_keys(result.unexpected_keys)}')
    if mismatched:
        problems.append(f'{len(mismatched)} shape mismatch(es) (checkpoint '
                        f'vs model): {describe_keys(mismatched)}')
    if problems:
        raise InvalidInputError(
            f'checkpoint {checkpoint} does not fit {config_name}: ' +
            '; '.join(problems))
    return ckpt if isinstance(ckpt, dict) and 'state_dict' in ckpt else {}
