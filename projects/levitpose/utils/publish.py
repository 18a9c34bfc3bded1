"""Strip a training checkpoint down to what inference needs.

A checkpoint that MMEngine saves while training also holds the optimizer
and scheduler states, the message hub and the RNG state. A published
checkpoint keeps the weights (``state_dict``) and a ``meta`` dict of plain
Python values, so ``torch.load(..., weights_only=True)`` reads it even
without LEViTPose's allow-list, and :func:`mmpose.apis.init_model` gets
the dataset's metainfo from it.
"""
import hashlib
import os.path as osp
from typing import Any, Dict

import numpy as np
from mmengine.runner import save_checkpoint

from .atomic_file import ATOMIC_BACKEND_ARGS
from .checkpoint import safe_load_checkpoint
from .errors import InvalidInputError

__all__ = ['publish_checkpoint', 'to_plain']

META_KEYS = ('epoch', 'iter', 'seed', 'mmengine_version', 'dataset_meta',
             'experiment_name', 'time')


def to_plain(value: Any) -> Any:
    """Convert NumPy arrays and scalars inside ``value`` to Python values,
    so that the weights-only unpickler needs no NumPy globals.

    Args:
        value (Any): Nested dicts, lists and tuples of anything.

    Returns:
        Any: The same structure with ``np.ndarray`` as (nested) lists and
        NumPy scalars as Python numbers.
    """
    if isinstance(value, dict):
        return {key: to_plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(to_plain(item) for item in value)
    if isinstance(value, (np.ndarray, np.generic)):
        return value.tolist()
    return value


def publish_checkpoint(src: str, dst: str) -> Dict[str, Any]:
    """Write ``src``'s weights and plain metadata to ``dst``.

    Args:
        src (str): A checkpoint saved by MMEngine (loaded safely).
        dst (str): The output ``.pth`` file; written atomically.

    Returns:
        dict: ``path``, ``size`` (bytes), ``sha256`` and ``num_tensors``.

    Raises:
        MissingFileError: If ``src`` does not exist.
        InvalidInputError: If ``src`` has no ``state_dict``.
    """
    checkpoint = safe_load_checkpoint(src)
    if not isinstance(checkpoint, dict) or 'state_dict' not in checkpoint:
        keys = sorted(checkpoint) if isinstance(checkpoint, dict) else []
        raise InvalidInputError(f'checkpoint {src} has no state_dict; its '
                                f'keys are {keys}')
    state_dict = {
        key: value.detach().cpu().clone()
        for key, value in checkpoint['state_dict'].items()
    }
    meta = checkpoint.get('meta', {})
    published = dict(
        state_dict=state_dict,
        meta=to_plain({key: meta[key]
                       for key in META_KEYS if key in meta}))
    save_checkpoint(published, dst, backend_args=ATOMIC_BACKEND_ARGS)
    with open(dst, 'rb') as file:
        digest = hashlib.sha256(file.read()).hexdigest()
    return dict(
        path=dst,
        size=osp.getsize(dst),
        sha256=digest,
        num_tensors=len(state_dict))
