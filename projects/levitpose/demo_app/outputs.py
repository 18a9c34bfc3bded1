"""Write demo outputs atomically, so that an interrupted run never leaves a
half-written image, JSON file or video.

Images and JSON go through the ``atomic_local`` file backend
(:class:`levitpose.utils.AtomicLocalBackend`); a video, which OpenCV writes
frame by frame, goes to a hidden partial file renamed over the target once
complete.
"""
import os
import os.path as osp
from typing import Any, Optional, Tuple

import cv2
import mmengine
import numpy as np

from ..utils.atomic_file import (ATOMIC_BACKEND_ARGS, commit_file,
                                 partial_file_name)
from ..utils.errors import InvalidInputError

__all__ = ['write_json', 'write_image', 'AtomicVideoWriter']


def write_json(path: str, obj: Any) -> None:
    """Write ``obj`` as indented JSON, atomically (``mmengine.dump``:
    NumPy arrays and scalars become lists and numbers).

    Args:
        path (str): Target file.
        obj (Any): JSON-able data.
    """
    mmengine.dump(
        obj,
        path,
        file_format='json',
        indent='\t',
        backend_args=ATOMIC_BACKEND_ARGS)


def write_image(path: str, img: np.ndarray) -> None:
    """Encode a BGR image by the extension of ``path`` and write it
    atomically.

    Args:
        path (str): Target file (``.jpg``, ``.png``...).
        img (np.ndarray): ``(H, W, 3)`` BGR image.
    """
    ok, buf = cv2.imencode(osp.splitext(path)[1] or '.png', img)
    if not ok:
        raise InvalidInputError(f'OpenCV cannot encode an image as {path}')
    mmengine.fileio.put(buf.tobytes(), path, backend_args=ATOMIC_BACKEND_ARGS)


class AtomicVideoWriter:
    """``cv2.VideoWriter`` writing to a partial file, renamed on success.

    Use as a context manager: leaving it by an exception (including
    ``KeyboardInterrupt``) deletes the partial file and leaves any older
    ``path`` untouched.

    Args:
        path (str): Target video (``.mp4`` is written with ``mp4v``).
        fps (float): Frame rate.
    """
    FOURCC = {
        '.mp4': 'mp4v',
        '.m4v': 'mp4v',
        '.avi': 'XVID',
        '.mkv': 'XVID',
        '.mov': 'mp4v'
    }

    def __init__(self, path: str, fps: float) -> None:
        self.path = path
        self.fps = fps
        stem, ext = osp.splitext(osp.basename(path))
        # OpenCV picks the container by the extension: keep it last
        self.partial = osp.join(
            osp.dirname(path),
            partial_file_name(stem) + ext)
        self._writer: Optional[cv2.VideoWriter] = None
        self._size: Optional[Tuple[int, int]] = None

    def write(self, frame: np.ndarray) -> None:
        """Append a BGR frame; the first frame fixes the video size."""
        height, width = frame.shape[:2]
        if self._writer is None:
            ext = osp.splitext(self.path)[1].lower()
            fourcc = cv2.VideoWriter_fourcc(*self.FOURCC.get(ext, 'mp4v'))
            self._writer = cv2.VideoWriter(self.partial, fourcc, self.fps,
                                           (width, height))
            if not self._writer.isOpened():
                raise InvalidInputError(
                    f'OpenCV cannot write a video as {self.path}')
            self._size = (width, height)
        elif (width, height) != self._size:
            frame = cv2.resize(frame, self._size)
        self._writer.write(frame)

    def __enter__(self) -> 'AtomicVideoWriter':
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if self._writer is not None:
            self._writer.release()
        if exc_type is None and self._writer is not None:
            commit_file(self.partial, self.path)
        elif osp.exists(self.partial):
            os.remove(self.partial)
