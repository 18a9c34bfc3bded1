"""Crash-safe file writes: write beside the target, fsync, then rename.

``os.replace`` is atomic on POSIX and Windows when source and target are in
the same folder, so a reader (or a restarted run) sees either the old file
or the complete new one, never a truncated one, even after SIGKILL or a
power loss (the data and the folder entry are fsync'd).
"""
import os
import os.path as osp
import zipfile

__all__ = [
    'commit_file', 'atomic_write_text', 'is_complete_checkpoint',
    'partial_file_name'
]

PARTIAL_SUFFIX = '.partial'


def partial_file_name(name: str) -> str:
    """Name under which ``name`` is written before it is committed.

    Hidden (leading dot) and suffixed, so no ``*.pth`` glob matches it.

    Args:
        name (str): Final file name, without folder.

    Returns:
        str: ``.{name}.{pid}.partial``.
    """
    return f'.{name}.{os.getpid()}{PARTIAL_SUFFIX}'


def _fsync_dir(folder: str) -> None:
    """Persist a folder entry (a rename) where the OS supports it."""
    if os.name != 'posix':
        return
    fd = os.open(folder or '.', os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def commit_file(partial_path: str, path: str) -> None:
    """Flush ``partial_path`` to disk and rename it to ``path`` atomically.

    Args:
        partial_path (str): A fully written file in the folder of ``path``.
        path (str): The final path; replaced if it exists.
    """
    with open(partial_path, 'rb') as f:
        os.fsync(f.fileno())
    os.replace(partial_path, path)
    _fsync_dir(osp.dirname(path))


def atomic_write_text(path: str, text: str) -> None:
    """Write ``text`` to ``path`` so that it is never seen half-written.

    Args:
        path (str): Target file.
        text (str): Its new content.
    """
    partial = osp.join(
        osp.dirname(path), partial_file_name(osp.basename(path)))
    try:
        with open(partial, 'w') as f:  # honours the umask, unlike mkstemp
            f.write(text)
        commit_file(partial, path)
    except BaseException:
        if osp.exists(partial):
            os.remove(partial)
        raise


def is_complete_checkpoint(path: str) -> bool:
    """Whether ``path`` is a whole ``torch.save`` zip archive.

    Checks the archive's directory (written last) and the CRC of every
    member, without unpickling anything.

    Args:
        path (str): Checkpoint path.

    Returns:
        bool: False for a missing, truncated or corrupted file.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            return archive.testzip() is None
    except (OSError, zipfile.BadZipFile, EOFError):
        return False
