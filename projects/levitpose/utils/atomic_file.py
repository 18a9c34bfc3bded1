"""Crash-safe file writes: write beside the target, fsync, then rename.

``os.replace`` is atomic on POSIX and Windows when source and target are in
the same folder, so a reader (or a restarted run) sees either the old file
or the complete new one, never a truncated one, even after SIGKILL or a
power loss (the data and the folder entry are fsync'd).

:class:`AtomicLocalBackend` is MMEngine's ``LocalBackend`` with atomic
``put``/``put_text``, registered as the file backend ``'atomic_local'``;
pass :data:`ATOMIC_BACKEND_ARGS` as ``backend_args`` wherever MMEngine
writes (``mmengine.dump``, ``mmengine.fileio.put``,
``mmengine.runner.save_checkpoint``, ``CheckpointHook``).
"""
import os
import os.path as osp
import zipfile
from pathlib import Path
from typing import Optional, Union

import mmengine
from mmengine.fileio import LocalBackend, register_backend

__all__ = [
    'ATOMIC_BACKEND', 'ATOMIC_BACKEND_ARGS', 'AtomicLocalBackend',
    'PARTIAL_SUFFIX', 'commit_file', 'partial_file_name', 'partial_path',
    'checkpoint_problem'
]

PARTIAL_SUFFIX = '.partial'
#: Name of the registered backend, and the ``backend_args`` selecting it.
ATOMIC_BACKEND = 'atomic_local'
ATOMIC_BACKEND_ARGS = dict(backend=ATOMIC_BACKEND)


def partial_file_name(name: str) -> str:
    """Name under which ``name`` is written before it is committed.

    Hidden (leading dot) and suffixed, so no ``*.pth`` glob matches it. The
    extension is kept before the suffix (OpenCV picks a video encoder by
    the extension of the file it writes).

    Args:
        name (str): Final file name, without folder.

    Returns:
        str: ``.{name}.{pid}.partial``, e.g. ``.epoch_1.pth.42.partial``.
    """
    return f'.{name}.{os.getpid()}{PARTIAL_SUFFIX}'


def partial_path(path: str) -> str:
    """:func:`partial_file_name` of ``path``, in the folder of ``path``."""
    folder, name = osp.split(path)
    return osp.join(folder, partial_file_name(name))


def _fsync_dir(folder: str) -> None:
    """Persist a folder entry (a rename) where the OS supports it."""
    if os.name != 'posix':
        return
    fd = os.open(folder or '.', os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def commit_file(partial: str, path: str) -> None:
    """Flush ``partial`` to disk and rename it to ``path`` atomically.

    Args:
        partial (str): A fully written file in the folder of ``path``.
        path (str): The final path; replaced if it exists.
    """
    with open(partial, 'rb') as f:
        os.fsync(f.fileno())
    os.replace(partial, path)
    _fsync_dir(osp.dirname(path))


@register_backend(ATOMIC_BACKEND, force=True)
class AtomicLocalBackend(LocalBackend):
    """Local storage whose writes are all-or-nothing.

    ``put`` and ``put_text`` write a hidden partial file in the target's
    folder and :func:`commit_file` it; if writing fails or is interrupted,
    the partial file is removed and an older target stays as it was.
    """

    def put(self, obj: bytes, filepath: Union[str, Path]) -> None:
        """Write ``obj`` to ``filepath`` atomically (folders created)."""
        self._write(str(filepath), obj, 'wb', None)

    def put_text(self,
                 obj: str,
                 filepath: Union[str, Path],
                 encoding: str = 'utf-8') -> None:
        """Write the text ``obj`` to ``filepath`` atomically."""
        self._write(str(filepath), obj, 'w', encoding)

    @staticmethod
    def _write(path: str, obj, mode: str, encoding: Optional[str]) -> None:
        mmengine.mkdir_or_exist(osp.dirname(osp.abspath(path)))
        partial = partial_path(path)
        try:
            with open(partial, mode, encoding=encoding) as f:  # the umask
                f.write(obj)
            commit_file(partial, path)
        except BaseException:
            if osp.exists(partial):
                os.remove(partial)
            raise


def checkpoint_problem(path: str) -> Optional[str]:
    """Why ``path`` is not a whole ``torch.save`` zip archive, if it is not.

    Checks the archive's directory (written last) and the CRC of every
    member, without unpickling anything.

    Args:
        path (str): Checkpoint path.

    Returns:
        str | None: None for a complete checkpoint, else the reason
        (``'it does not exist'``, ``'it is truncated or not a zip
        archive'``, ``'its member x has a bad CRC'``...).
    """
    if not osp.isfile(path):
        return 'it does not exist'
    try:
        with zipfile.ZipFile(path) as archive:
            bad = archive.testzip()
    except (OSError, zipfile.BadZipFile, EOFError) as err:
        return f'it is truncated or not a checkpoint ({err})'
    return None if bad is None else f'its member {bad} is corrupt (bad CRC)'
