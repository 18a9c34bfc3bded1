"""Write demo outputs atomically: to a hidden partial file in the target
folder, renamed over the target only once complete, so an interrupted run
never leaves a half-written image, JSON file or video."""
import json
import os
import os.path as osp
from typing import Any, Optional, Tuple

import cv2
import numpy as np

from ..utils.atomic_file import atomic_write_text, commit_file
from .errors import InvalidInputError

__all__ = ['to_builtin', 'write_json', 'write_image', 'AtomicVideoWriter']


def to_builtin(obj: Any) -> Any:
    """Turn NumPy arrays/scalars inside ``obj`` into lists and numbers."""
    if isinstance(obj, dict):
        return {str(k): to_builtin(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_builtin(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    return obj


def write_json(path: str, obj: Any) -> None:
    """Write ``obj`` as indented JSON, atomically.

    Args:
        path (str): Target file.
        obj (Any): JSON-able data; NumPy values become lists/numbers.
    """
    atomic_write_text(path, json.dumps(to_builtin(obj), indent='\t'))


def _partial_path(path: str) -> str:
    """A hidden name beside ``path`` that keeps its extension (OpenCV picks
    the encoder from the extension)."""
    folder, name = osp.split(path)
    stem, ext = osp.splitext(name)
    return osp.join(folder, f'.{stem}.{os.getpid()}.partial{ext}')


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
    partial = _partial_path(path)
    try:
        with open(partial, 'wb') as f:
            f.write(buf.tobytes())
        commit_file(partial, path)
    except BaseException:
        if osp.exists(partial):
            os.remove(partial)
        raise


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
        self.partial = _partial_path(path)
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
