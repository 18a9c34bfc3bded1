"""Check a device string before anything is built on it."""
import torch

from ..utils.errors import InvalidInputError

__all__ = ['check_device']

SUPPORTED_DEVICES = ('cpu', 'cuda', 'cuda:N')


def check_device(device: str) -> str:
    """Validate ``device`` and return it in torch's canonical spelling.

    Args:
        device (str): ``'cpu'``, ``'cuda'`` or ``'cuda:N'``.

    Returns:
        str: The device, e.g. ``'cpu'`` or ``'cuda:0'``.

    Raises:
        InvalidInputError: If ``device`` is not a device name, or names a
            CUDA device that this machine does not have.
    """
    try:
        parsed = torch.device(device)
    except (RuntimeError, TypeError) as err:
        raise InvalidInputError(f'invalid device {device!r}: expected one of '
                                f'{", ".join(SUPPORTED_DEVICES)}') from err
    if parsed.type == 'cpu':
        return 'cpu'
    if parsed.type != 'cuda':
        raise InvalidInputError(
            f'unsupported device {device!r}: expected one of '
            f'{", ".join(SUPPORTED_DEVICES)}')
    if not torch.cuda.is_available():
        raise InvalidInputError(
            f'device {device!r} requested but CUDA is not available on this '
            'machine; use --device cpu')
    index = 0 if parsed.index is None else parsed.index
    count = torch.cuda.device_count()
    if index >= count:
        raise InvalidInputError(
            f'device {device!r} does not exist: this machine has {count} '
            f'CUDA device(s) (cuda:0 to cuda:{count - 1})')
    return f'cuda:{index}'
