"""What an input path is (image, folder of images, video, or ``webcam``
as MMPose's demo takes it: camera 0) and its frames.

:func:`open_input` refuses a path that cannot be an input at all (missing,
not media, an empty folder, a video without one decodable frame).
:func:`iter_frames` then yields every image or video frame as an
:class:`InputFrame`; an item that cannot be read (a corrupt image among good
ones, undecodable video frames) is yielded with its ``error`` instead of
ending the run, so the caller processes all the good ones.
"""
import os
import os.path as osp
from dataclasses import dataclass, field
from typing import Iterator, List, Optional, Tuple

import numpy as np

from levitpose_lite import errors as lite_errors
from levitpose_lite.video import open_video, video_frames
from ..apis.pose_model import read_image
from ..utils.errors import InvalidInputError, MissingFileError

__all__ = [
    'IMAGE_EXTENSIONS', 'VIDEO_EXTENSIONS', 'WEBCAM', 'InputSource',
    'InputFrame', 'open_input', 'iter_frames'
]

IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.webp', '.tif', '.tiff')
VIDEO_EXTENSIONS = ('.mp4', '.avi', '.mov', '.mkv', '.webm', '.mpg', '.mpeg',
                    '.m4v')
#: The ``--input`` that reads camera 0 (MMPose's demos take the same word).
WEBCAM = 'webcam'


@dataclass
class InputSource:
    """A validated input.

    Args:
        kind (str): ``'image'``, ``'folder'``, ``'video'`` or ``'webcam'``.
        path (str): The path given.
        images (list[str]): Image files to process (one for ``'image'``,
            sorted for ``'folder'``, empty for ``'video'``).
        num_frames (int): Frames of a video as its header states them;
            0 if unknown or not a video.
        fps (float): Frame rate of a video or camera; 0 otherwise.
        frame_size (tuple[int, int]): ``(w, h)`` of a video's frames.
    """
    kind: str
    path: str
    images: List[str] = field(default_factory=list)
    num_frames: int = 0
    fps: float = 0.
    frame_size: Tuple[int, int] = (0, 0)


@dataclass
class InputFrame:
    """One image of a folder, or one run of video frames.

    Args:
        name (str): The image path, or ``'<video> frame N'`` (``'frames
            N-M'`` for a run of unreadable frames).
        index (int): Position in the input (frame id of a video).
        image (np.ndarray, optional): ``(H, W, 3)`` BGR; None if unreadable.
        error (InvalidInputError, optional): Why it could not be read.
    """
    name: str
    index: int
    image: Optional[np.ndarray] = None
    error: Optional[InvalidInputError] = None


def _extension(path: str) -> str:
    return osp.splitext(path)[1].lower()


def _capture_target(source_path: str):
    """What ``cv2.VideoCapture`` opens: camera 0 for ``webcam``."""
    return 0 if source_path == WEBCAM else source_path


def _open_video(path: str) -> InputSource:
    try:
        info = open_video(_capture_target(path))
    except lite_errors.InvalidInputError as err:
        if path == WEBCAM:
            raise InvalidInputError(
                'cannot read from the webcam (camera 0): no camera, or it '
                'is busy or not permitted') from err
        raise InvalidInputError(str(err)) from err
    return InputSource(
        WEBCAM if path == WEBCAM else 'video',
        path,
        num_frames=info.num_frames,
        fps=info.fps,
        frame_size=info.frame_size)


def _list_folder(path: str) -> InputSource:
    images = sorted(
        osp.join(path, name) for name in os.listdir(path)
        if _extension(name) in IMAGE_EXTENSIONS
        and osp.isfile(osp.join(path, name)))
    if not images:
        raise InvalidInputError(f'folder {path} has no images (looked for '
                                f'{", ".join(IMAGE_EXTENSIONS)})')
    return InputSource('folder', path, images=images)


def open_input(path: str) -> InputSource:
    """Classify and validate an input path.

    An image is decoded once here; a video must yield its first frame; a
    folder must hold at least one image file (each is read, and may fail,
    in :func:`iter_frames`).

    Args:
        path (str): An image, a folder of images, a video, or
            :data:`WEBCAM`.

    Returns:
        InputSource: The validated input.

    Raises:
        MissingFileError: If ``path`` does not exist.
        InvalidInputError: If it is neither an image, a video nor a folder
            with images, or cannot be decoded.
    """
    if path == WEBCAM:
        return _open_video(path)
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


def _image_frames(source: InputSource) -> Iterator[InputFrame]:
    for index, path in enumerate(source.images):
        try:
            yield InputFrame(path, index, image=read_image(path))
        except InvalidInputError as err:
            yield InputFrame(path, index, error=err)


def _unreadable_run(path: str, first: int, last: int) -> InputFrame:
    which = f'frame {first}' if first == last else f'frames {first}-{last}'
    return InputFrame(
        f'{path} {which}',
        first,
        error=InvalidInputError(
            f'cannot decode {which} of video {path} (corrupt or truncated)'))


def _video_frames(source: InputSource) -> Iterator[InputFrame]:
    """Every frame; a run of frames OpenCV cannot decode (see
    :func:`levitpose_lite.video.video_frames`) is one item with an error.
    """
    frames = video_frames(_capture_target(source.path), source.num_frames)
    bad_from = None
    for index, frame in enumerate(frames):
        if frame is not None and bad_from is not None:
            yield _unreadable_run(source.path, bad_from, index - 1)
            bad_from = None
        if frame is not None:
            yield InputFrame(
                f'{source.path} frame {index}', index, image=frame)
        elif bad_from is None:
            bad_from = index
    if bad_from is not None:
        yield _unreadable_run(source.path, bad_from, index)


def iter_frames(source: InputSource) -> Iterator[InputFrame]:
    """Yield every image of an image/folder input, or every frame of a
    video, in order; unreadable ones carry an ``error`` instead.

    Args:
        source (InputSource): From :func:`open_input`.

    Yields:
        InputFrame: One image or frame (or a run of unreadable frames).
    """
    if source.kind in ('video', WEBCAM):
        return _video_frames(source)
    return _image_frames(source)
