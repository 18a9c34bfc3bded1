"""Reading videos with OpenCV, for the demo and the torch-free tools.

:func:`open_video` refuses a video without one decodable frame and reports
its frame rate, header frame count and frame size; :func:`video_frames`
yields every frame, ``None`` for a frame OpenCV cannot decode before the
header's frame count (FFmpeg resumes at the next good packet), so callers
can report it and go on; :func:`read_frames` keeps the decoded ones in
memory, for benchmarks that time what comes after decoding.

FFmpeg's own log lines are silenced (unless ``OPENCV_FFMPEG_LOGLEVEL`` is
set): a video that cannot be read is reported by the caller in one line.
"""
import os
from dataclasses import dataclass
from typing import Iterator, List, Optional, Tuple, Union

import cv2
import numpy as np

from .errors import InvalidInputError, MissingFileError

__all__ = [
    'DEFAULT_FPS', 'VideoInfo', 'open_video', 'video_frames', 'read_frames'
]

#: Frame rate assumed where the container does not state one.
DEFAULT_FPS = 25.

#: A file path, or a camera index as ``cv2.VideoCapture`` takes it.
VideoSource = Union[str, int]

#: FFmpeg's ``AV_LOG_QUIET``, for ``OPENCV_FFMPEG_LOGLEVEL``.
FFMPEG_QUIET = '-8'


def _capture(source: VideoSource) -> cv2.VideoCapture:
    os.environ.setdefault('OPENCV_FFMPEG_LOGLEVEL', FFMPEG_QUIET)
    return cv2.VideoCapture(source)


@dataclass
class VideoInfo:
    """What :func:`open_video` found.

    Args:
        fps (float): Frame rate (:data:`DEFAULT_FPS` if not stated).
        num_frames (int): Frames as the header states them; 0 if unknown.
        frame_size (tuple[int, int]): ``(w, h)`` of the first frame.
    """
    fps: float
    num_frames: int
    frame_size: Tuple[int, int]


def open_video(source: VideoSource) -> VideoInfo:
    """Check that ``source`` yields a first frame; describe the video.

    Args:
        source (str | int): A video file, or a camera index.

    Returns:
        VideoInfo: Frame rate, header frame count and frame size.

    Raises:
        MissingFileError: If a path ``source`` does not exist.
        InvalidInputError: If it is a folder, or OpenCV cannot decode one
            frame of it.
    """
    if isinstance(source, str) and os.path.isdir(source):
        raise InvalidInputError(f'video {source} is a folder, not a file')
    if isinstance(source, str) and not os.path.exists(source):
        raise MissingFileError(f'video {source} does not exist')
    capture = _capture(source)
    try:
        ok, frame = capture.read() if capture.isOpened() else (False, None)
        if not ok or frame is None:
            raise InvalidInputError(
                f'cannot read video {source}: OpenCV could not decode any '
                'frame (corrupt file or unsupported codec)')
        fps = capture.get(cv2.CAP_PROP_FPS)
        num_frames = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
    finally:
        capture.release()
    height, width = frame.shape[:2]
    return VideoInfo(fps if fps > 0 else DEFAULT_FPS, max(num_frames, 0),
                     (width, height))


def video_frames(source: VideoSource,
                 num_frames: int = 0) -> Iterator[Optional[np.ndarray]]:
    """Yield every frame of a video, in order.

    Args:
        source (str | int): A video file, or a camera index.
        num_frames (int): The header's frame count (:func:`open_video`):
            before it, a frame OpenCV cannot decode is yielded as ``None``
            and reading goes on; after it, the first failure ends the video.
            Defaults to 0 (the first failure ends it).

    Yields:
        np.ndarray | None: ``(H, W, 3)`` BGR frames; None where one could
        not be decoded.
    """
    capture = _capture(source)
    try:
        index = 0
        while True:
            ok, frame = capture.read()
            if not ok and index >= num_frames:
                break
            yield frame if ok else None
            index += 1
    finally:
        capture.release()


def read_frames(path: str,
                max_frames: Optional[int] = None
                ) -> Tuple[List[np.ndarray], float]:
    """The decoded frames of a video (the first ``max_frames`` of them),
    and its frame rate.

    Args:
        path (str): The video file.
        max_frames (int, optional): Most frames kept. Defaults to None
            (all).

    Returns:
        tuple: The frames ``(H, W, 3)`` BGR, and the frame rate.

    Raises:
        InvalidInputError: As :func:`open_video`.
    """
    info = open_video(path)
    frames = []
    for frame in video_frames(path, info.num_frames):
        if max_frames is not None and len(frames) >= max_frames:
            break
        if frame is not None:
            frames.append(frame)
    return frames, info.fps
