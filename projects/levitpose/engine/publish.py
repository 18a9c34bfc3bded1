"""Strip a training checkpoint down to what inference needs.

A checkpoint that MMEngine saves while training also holds the optimizer
and scheduler states, the message hub and the RNG state. A published
checkpoint keeps the weights (``state_dict``) and a ``meta`` dict of plain
Python values, so ``torch.load(..., weights_only=True)`` reads it even
without LEViTPose's allow-list, and :func:`mmpose.apis.init_model` gets
the dataset's metainfo from it.
"""
import hashlib
import os
import os.path as osp
from typing import Any, Dict

import numpy as np
import torch

from levitpose.utils import safe_load_checkpoint
from levitpose.utils.atomic_file import commit_file, partial_file_name

__all__ = ['publish_checkpoint', 'to_plain']

META_KEYS = ('epoch', 'iter', 'seed', 'mmengine_version', 'dataset_meta',
             'experiment_name', 'time')


def to_plain(value: Any) -> Any:
    """Convert NumPy arrays and scalars inside ``value`` to Python values.

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
        FileNotFoundError: If ``src`` does not exist.
        KeyError: If ``src`` has no ``state_dict``.
    """
    checkpoint = safe_load_checkpoint(src)
    if 'state_dict' not in checkpoint:
        raise KeyError(f'checkpoint {src} has no state_dict; its keys are '
                       f'{sorted(checkpoint)}')
    state_dict = {
        key: value.detach().cpu().clone()
        for key, value in checkpoint['state_dict'].items()
    }
    meta = checkpoint.get('meta', {})
    published = dict(
        state_dict=state_dict,
        meta=to_plain({key: meta[key]
                       for key in META_KEYS if key in meta}))
    out_dir = osp.dirname(osp.abspath(dst))
    os.makedirs(out_dir, exist_ok=True)
    partial = osp.join(out_dir, partial_file_name(osp.basename(dst)))
    torch.save(published, partial)
    commit_file(partial, dst)
    with open(dst, 'rb') as file:
        digest = hashlib.sha256(file.read()).hexdigest()
    return dict(
        path=dst,
        size=osp.getsize(dst),
        sha256=digest,
        num_tensors=len(state_dict))
