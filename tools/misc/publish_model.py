"""Publish a trained checkpoint: weights and plain metadata only.

    python tools/misc/publish_model.py IN_FILE OUT_FILE

A checkpoint that MMEngine saves while training also holds the optimizer
and scheduler states, the message hub and the RNG state. The published one
keeps the weights (``state_dict``) and a ``meta`` dict of plain Python
values, so ``torch.load(..., weights_only=True)`` reads it even without
LEViTPose's allow-list, and :func:`mmpose.apis.init_model` gets the
dataset's metainfo from it. Prints the output's size and sha256.
"""
import argparse
import functools
import hashlib
import os.path as osp
import sys
from typing import Any, Dict

import numpy as np

from levitpose.cli import ToolParser, run_tool
from levitpose.utils import UsageError

META_KEYS = ('epoch', 'iter', 'seed', 'mmengine_version', 'dataset_meta',
             'experiment_name', 'time')


def parse_args(argv=None) -> argparse.Namespace:
    """Parse the command line."""
    parser = ToolParser(description='Strip a training checkpoint for release')
    parser.add_argument('in_file', help='checkpoint saved by training')
    parser.add_argument('out_file', help='the published checkpoint (.pth)')
    return parser.parse_args(argv)


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
    from mmengine.runner import save_checkpoint

    from levitpose.utils import (ATOMIC_BACKEND_ARGS, InvalidInputError,
                                 safe_load_checkpoint)

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


def publish(args: argparse.Namespace) -> None:
    """Write the published checkpoint and print its size and sha256."""
    if not args.out_file.endswith('.pth'):
        raise UsageError(f'out_file {args.out_file} must end with .pth')
    info = publish_checkpoint(args.in_file, args.out_file)
    print(f"{info['path']}: {info['size']} bytes, {info['num_tensors']} "
          f"tensors, sha256 {info['sha256']}")


def main(argv=None) -> int:
    """Run the tool; returns the exit status."""
    return run_tool(functools.partial(publish, parse_args(argv)))


if __name__ == '__main__':
    sys.exit(main())
