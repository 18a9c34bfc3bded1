"""Safe checkpoint loading: torch's weights-only unpickler plus an allow-list.

Since torch 2.6, :func:`torch.load` defaults to ``weights_only=True``: its
unpickler only rebuilds tensors, containers and the globals on an
allow-list, so loading a file never runs code from it. MMEngine 0.10.7's
own checkpoints then fail to load, because they also pickle

* ``message_hub``: :class:`mmengine.logging.HistoryBuffer` objects (whose
  state names its statistics methods through ``builtins.getattr``) and
  NumPy scalars;
* ``meta['dataset_meta']``: NumPy arrays (``sigmas``, colours, ...).

Found empirically: on checkpoints of a real MMPose training run (epoch and
best checkpoints, NumPy 2), ``torch.serialization.
get_unsafe_globals_in_checkpoint`` lists ``HistoryBuffer``,
``builtins.getattr``, ``numpy._core.multiarray.{scalar,_reconstruct}``,
``numpy.ndarray`` and ``numpy.dtype``; loading also builds instances of
``numpy.dtypes.{UInt8,Int64,Float32,Float64}DType``. The other fixed-size
numeric dtype classes are allowed as well (equally inert); object, void
and string dtypes are not.

Importing :mod:`levitpose` calls :func:`install_safe_loading`, which

1. allow-lists exactly those types (:data:`CHECKPOINT_SAFE_GLOBALS`), with
   ``builtins.getattr`` replaced by :func:`history_buffer_getattr`, which
   only returns the four statistics methods of ``HistoryBuffer``;
2. registers :func:`load_from_local` as MMEngine's loader of local files
   (the ``''`` scheme of :class:`mmengine.runner.CheckpointLoader`), which
   passes ``weights_only=True`` explicitly (so even
   ``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD=1`` cannot turn the check off) and
   turns a refusal into :class:`UnsafeCheckpointError`, a one-line message
   naming the offending globals (and a file that is not a whole checkpoint
   into :class:`InvalidCheckpointError`).

``Runner.load_checkpoint``/``resume`` (``load_from``, ``--resume``),
``mmengine.runner.load_checkpoint``, ``mmpose.apis.init_model``,
``MMPoseInferencer`` and ``Pretrained`` init configs all read local files
through that loader. Tools call :func:`safe_load_checkpoint` directly.
"""
import os.path as osp
import pickle
import re
from typing import Any, Callable, List, Tuple, Union

import numpy as np
import torch
from mmengine.logging import HistoryBuffer
from mmengine.runner import CheckpointLoader

from .errors import InvalidInputError, MissingFileError

__all__ = [
    'CHECKPOINT_SAFE_GLOBALS', 'InvalidCheckpointError',
    'UnsafeCheckpointError', 'history_buffer_getattr', 'find_unsafe_globals',
    'install_safe_loading', 'load_from_local', 'safe_load_checkpoint'
]

MapLocation = Union[str, torch.device, Callable, dict, None]

# ``HistoryBuffer.__getstate__`` stores its statistics methods, which pickle
# as ``getattr(HistoryBuffer, name)``; these are the ones MMEngine defines.
HISTORY_BUFFER_METHODS = ('min', 'max', 'mean', 'current')


class InvalidCheckpointError(InvalidInputError):
    """A file is not a whole PyTorch checkpoint (truncated, corrupted...)."""


class UnsafeCheckpointError(InvalidInputError, pickle.UnpicklingError):
    """A checkpoint needs globals that are not on the allow-list.

    A user-facing :class:`~levitpose.utils.InvalidInputError` (tools report
    it in one line) and a :class:`pickle.UnpicklingError` (what torch
    raises for the same refusal), so ``except`` clauses of either kind
    catch it.
    """


def history_buffer_getattr(obj: Any, name: str) -> Callable:
    """Stand-in for ``builtins.getattr`` while unpickling a checkpoint.

    Args:
        obj (Any): The object the pickle asks an attribute of.
        name (str): The attribute name.

    Returns:
        Callable: ``getattr(HistoryBuffer, name)``.

    Raises:
        pickle.UnpicklingError: Unless ``obj`` is ``HistoryBuffer`` and
            ``name`` one of :data:`HISTORY_BUFFER_METHODS`.
    """
    if obj is HistoryBuffer and name in HISTORY_BUFFER_METHODS:
        return getattr(HistoryBuffer, name)
    owner = obj.__name__ if isinstance(obj, type) else type(obj).__name__
    raise pickle.UnpicklingError(
        'builtins.getattr is only allowed as getattr(HistoryBuffer, name) '
        f'with name in {HISTORY_BUFFER_METHODS}; refused '
        f'builtins.getattr({owner}, {name!r})')


def _numpy_globals() -> List[Tuple[Any, str]]:
    """NumPy arrays, dtypes and scalars, under both module names.

    NumPy 2 pickles ``numpy._core.multiarray``; checkpoints written with
    NumPy 1 (e.g. MMPose's model zoo) name the same functions under
    ``numpy.core.multiarray``. Unpickling a dtype builds an instance of its
    concrete class (``numpy.dtypes.Float32DType`` ...), which must be
    allow-listed too; object/void/string dtypes are left out.
    """
    multiarray = np._core.multiarray
    entries = [(np.ndarray, 'numpy.ndarray'), (np.dtype, 'numpy.dtype')]
    for module in ('numpy._core.multiarray', 'numpy.core.multiarray'):
        entries += [(multiarray._reconstruct, f'{module}._reconstruct'),
                    (multiarray.scalar, f'{module}.scalar')]
    codes = '?bhilqBHILQefdgFDG'  # bool, ints, uints, floats, complexes
    dtype_classes = {type(np.dtype(code)) for code in codes}
    entries += [(cls, f'numpy.dtypes.{cls.__name__}')
                for cls in sorted(dtype_classes, key=lambda c: c.__name__)]
    return entries


#: ``(object, name in the pickle)`` pairs added to torch's allow-list.
CHECKPOINT_SAFE_GLOBALS: List[Tuple[Any, str]] = [
    (HistoryBuffer, 'mmengine.logging.history_buffer.HistoryBuffer'),
    (history_buffer_getattr, 'builtins.getattr'),
] + _numpy_globals()

_TORCH_GLOBAL_PATTERNS = (r'GLOBAL (\S+) was not an allowed global',
                          r'unsupported GLOBAL (\S+) whose module',
                          r'refused (builtins\.getattr\([^)]*\))',
                          r"Can only build .* but got <class '([^']+)'>")


def find_unsafe_globals(filename: str) -> List[str]:
    """List the globals of a checkpoint that are not allow-listed.

    Reads the pickle's opcodes only; nothing in the file is executed.

    Args:
        filename (str): Path of a checkpoint written by :func:`torch.save`.

    Returns:
        list[str]: ``module.name`` of each refused global, sorted.
    """
    install_safe_loading()
    return sorted(
        torch.serialization.get_unsafe_globals_in_checkpoint(filename))


def _offenders(filename: str, err: Exception) -> List[str]:
    """The refused globals, from the file's opcodes or torch's message."""
    try:
        offenders = find_unsafe_globals(filename)
    except Exception:  # not a zip checkpoint: fall back to the message
        offenders = []
    for pattern in _TORCH_GLOBAL_PATTERNS:
        offenders += [
            name for name in re.findall(pattern, str(err))
            if name not in offenders
        ]
    return offenders


# torch's errors for files that are not (whole) checkpoints
_CORRUPT_PATTERNS = ('PytorchStreamReader', 'Invalid magic number',
                     'zip archive', 'corrupt')


def _corrupt(filename: str, err: Exception) -> InvalidCheckpointError:
    detail = re.search(r'WeightsUnpickler error: *(.+)', str(err))
    text = detail.group(1) if detail else (str(err).strip()
                                           or type(err).__name__)
    return InvalidCheckpointError(
        f'{filename} is not a valid PyTorch checkpoint (truncated, '
        f'corrupted or another kind of file): {text.splitlines()[0]}')


def safe_load_checkpoint(filename: str,
                         map_location: MapLocation = 'cpu') -> Any:
    """Load a local checkpoint with the weights-only unpickler.

    Args:
        filename (str): Path of the checkpoint (``~`` is expanded).
        map_location (str | torch.device | Callable | dict, optional):
            As in :func:`torch.load`. Defaults to ``'cpu'``.

    Returns:
        Any: The unpickled checkpoint (usually a dict).

    Raises:
        MissingFileError: If ``filename`` is not a file (a
            ``FileNotFoundError``).
        UnsafeCheckpointError: If the file needs a global that is not
            allow-listed; the one-line message names it.
        InvalidCheckpointError: If the file is not a whole checkpoint.
    """
    install_safe_loading()
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise MissingFileError(f'checkpoint {filename} does not exist')
    try:
        return torch.load(
            filename, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as err:
        offenders = _offenders(filename, err)
        if not offenders:
            raise _corrupt(filename, err) from None
        raise UnsafeCheckpointError(
            f'Refusing to load checkpoint {filename}: it needs '
            f'{", ".join(offenders)}, which LEViTPose does not allow in '
            'checkpoints (unpickling them could run code). Nothing from the '
            'file was run; only load checkpoints from sources you trust.'
        ) from None
    except (EOFError, KeyError) as err:  # raised on non-checkpoint bytes
        raise _corrupt(filename, err) from None
    except RuntimeError as err:
        if any(p in str(err) for p in _CORRUPT_PATTERNS):
            raise _corrupt(filename, err) from None
        raise


def load_from_local(filename: str, map_location: MapLocation) -> Any:
    """MMEngine's loader for local paths, made safe.

    Registered for the ``''`` scheme of
    :class:`mmengine.runner.CheckpointLoader` by
    :func:`install_safe_loading`; same signature as
    ``mmengine.runner.checkpoint.load_from_local``.
    """
    return safe_load_checkpoint(filename, map_location)


_installed = False


def install_safe_loading() -> None:
    """Allow-list checkpoint types and register :func:`load_from_local`.

    Idempotent; :mod:`levitpose` calls it on import.
    """
    global _installed
    if _installed:
        return
    torch.serialization.add_safe_globals(CHECKPOINT_SAFE_GLOBALS)
    CheckpointLoader.register_scheme(
        prefixes='', loader=load_from_local, force=True)
    _installed = True


install_safe_loading()
