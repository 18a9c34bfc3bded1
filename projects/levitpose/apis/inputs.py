"""Find out what an input path is (image, folder of images, video) and read
it, refusing anything unreadable with one clear message."""
import os
import os.path as osp
from dataclasses import dataclass, field
from typing import Iterator, List, Tuple

import cv2
import numpy as np

from .errors import InvalidInputError, MissingFileError

__all__ = [
    'IMAGE_EXTENSIONS', 'VIDEO_EXTENSIONS', 'InputSource', 'open_input',
    'read_image', 'iter_video_frames'
]

IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.webp', '.tif', '.tiff')
VIDEO_EXTENSIONS = ('.mp4', '.avi', '.mov', '.mkv', '.webm', '.mpg', '.mpeg',
                    '.m4v')


@dataclass
class InputSource:
    """A validated input.

    Args:
        kind (str): ``'image'``, ``'folder'`` or ``'video'``.
        path (str): The path given.
        images (list[str]): Image files to process (one for ``'image'``,
            sorted for ``'folder'``, empty for ``'video'``).
        num_frames (int): Frames of a video as its header states them;
            0 if unknown or not a video.
        fps (float): Frame rate of a video; 0 if not a video.
        frame_size (tuple[int, int]): ``(w, h)`` of a video's frames.
    """
    kind: str
    path: str
    images: List[str] = field(default_factory=list)
    num_frames: int = 0
    fps: float = 0.
    frame_size: Tuple[int, int] = (0, 0)


def _extension(path: str) -> str:
    return osp.splitext(path)[1].lower()


def read_image(path: str) -> np.ndarray:
    """Read an image file as a BGR ``uint8`` array.

    Args:
        path (str): Image file.

    Returns:
        np.ndarray: ``(H, W, 3)`` BGR image.

    Raises:
        MissingFileError: If ``path`` does not exist.
        InvalidInputError: If OpenCV cannot decode it.
    """
    if not osp.isfile(path):
        raise MissingFileError(f'input image {path} does not exist')
    img = cv2.imread(path, cv2.IMREAD_COLOR)
    if img is None:
        raise InvalidInputError(
            f'cannot read image {path}: the file is not a valid image '
            '(truncated or corrupt?)')
    return img


def _open_video(path: str) -> InputSource:
    capture = cv2.VideoCapture(path)
    try:
        ok, frame = capture.read() if capture.isOpened() else (False, None)
        if not ok or frame is None:
            raise InvalidInputError(
                f'cannot read video {path}: OpenCV could not decode any '
                'frame (corrupt file or unsupported codec)')
        fps = capture.get(cv2.CAP_PROP_FPS)
        num_frames = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
    finally:
        capture.release()
    height, width = frame.shape[:2]
    return InputSource(
        'video',
        path,
        num_frames=max(num_frames, 0),
        fps=fps if fps > 0 else 25.,
        frame_size=(width, height))


def _list_folder(path: str) -> InputSource:
    images = sorted(
        osp.join(path, name) for name in os.listdir(path)
        if _extension(name) in IMAGE_EXTENSIONS
        and osp.isfile(osp.join(path, name)))
    if not images:
        raise InvalidInputError(f'folder {path} has no images (looked for '
                                f'{", ".join(IMAGE_EXTENSIONS)})')
    unreadable = [img for img in images if not cv2.haveImageReader(img)]
    if unreadable:
        raise InvalidInputError(
            f'cannot read image {unreadable[0]} in folder {path}: the file '
            f'is not a valid image ({len(unreadable)} such file(s))')
    return InputSource('folder', path, images=images)


def open_input(path: str) -> InputSource:
    """Classify and validate an input path.

    An image is decoded once here; a video must yield its first frame; a
    folder must hold at least one image and every image in it must have a
    readable header.

    Args:
        path (str): An image, a folder of images, or a video.

    Returns:
        InputSource: The validated input.

    Raises:
        MissingFileError: If ``path`` does not exist.
        InvalidInputError: If it is neither an image, a video nor a folder
            with images, or cannot be decoded.
    """
    if osp.isdir(path):
        return _list_folder(path)
    if not osp.exists(path):
        raise MissingFileError(f'input {path} does not exist')
    ext = _extension(path)
    if ext in IMAGE_EXTENSIONS:
        read_image(path)
        return InputSource('image', path, images=[path])
    if ext in VIDEO_EXTENSIONS:
        return _open_video(path)
    raise InvalidInputError(
        f'input {path} is neither an image ({", ".join(IMAGE_EXTENSIONS)}) '
        f'nor a video ({", ".join(VIDEO_EXTENSIONS)}) nor a folder')


def iter_video_frames(path: str) -> Iterator[np.ndarray]:
    """Yield the BGR frames of a video, releasing it when done.

    Args:
        path (str): A video validated by :func:`open_input`.

    Yields:
        np.ndarray: ``(H, W, 3)`` BGR frames.
    """
    capture = cv2.VideoCapture(path)
    try:
        while True:
            ok, frame = capture.read()
            if not ok:
                return
            yield frame
    finally:
        capture.release()
