"""Resident-memory curve of top-down inference over many frames.

A leak (a cache keyed by input shape, tensors kept alive by a list, a
pipeline object that grows) shows up as RSS that keeps rising after the
first frames. :func:`rss_curve` runs :func:`mmpose.apis.inference_topdown`
frame after frame, with a varying number and size of boxes, and records the
process RSS after each frame; :func:`growth_after_warmup` is the figure
compared with the budget (20 MB in ``tools/analysis_tools/memory_check.py``).
"""
from typing import Iterator, List, Sequence

import numpy as np

from ..utils.errors import InvalidInputError, UsageError
from .inputs import iter_frames, open_input

__all__ = ['cycle_frames', 'frame_boxes', 'rss_curve', 'growth_after_warmup']

MIB = 2**20


def cycle_frames(source: str) -> Iterator[np.ndarray]:
    """Yield the readable BGR frames of a video, an image or a folder of
    images (:func:`~levitpose.demo_app.iter_frames`), starting over at the
    end, forever.

    Args:
        source (str): Video file, image file or folder of images.

    Raises:
        MissingFileError: If ``source`` does not exist.
        InvalidInputError: If it holds no readable frame.
    """
    opened = open_input(source)
    while True:
        produced = False
        for frame in iter_frames(opened):
            if frame.image is not None:
                produced = True
                yield frame.image
        if not produced:
            raise InvalidInputError(
                f'no readable image or video frame in {source}')


def frame_boxes(index: int, width: int, height: int) -> np.ndarray:
    """1 to 4 deterministic ``xyxy`` boxes of varying size for a frame."""
    rng = np.random.default_rng(index)
    count = 1 + index % 4
    x1 = rng.uniform(0, width * 0.6, count)
    y1 = rng.uniform(0, height * 0.6, count)
    w = rng.uniform(0.1, 0.4, count) * width
    h = rng.uniform(0.2, 0.4, count) * height
    return np.stack([
        x1, y1,
        np.minimum(x1 + w, width - 1),
        np.minimum(y1 + h, height - 1)
    ],
                    axis=1)


def rss_curve(model, source: str, num_frames: int) -> List[float]:
    """RSS in MiB after each of ``num_frames`` inference calls.

    Args:
        model (torch.nn.Module): From
            :func:`levitpose.apis.init_pose_model`.
        source (str): Video, image or folder (see :func:`cycle_frames`).
        num_frames (int): Frames to run (the source is cycled).

    Returns:
        list[float]: One RSS value (MiB) per frame.
    """
    import psutil
    from mmpose.apis import inference_topdown

    if num_frames < 1:
        raise UsageError(f'num_frames must be >= 1, got {num_frames}')
    process = psutil.Process()
    curve = []
    for index, frame in zip(range(num_frames), cycle_frames(source)):
        height, width = frame.shape[:2]
        inference_topdown(model, frame, frame_boxes(index, width, height))
        curve.append(process.memory_info().rss / MIB)
    return curve


def growth_after_warmup(curve: Sequence[float],
                        warmup: int,
                        window: int = 20) -> float:
    """RSS growth after warm-up, robust to transient peaks (MiB).

    The median RSS of the last ``window`` frames minus that of the first
    ``window`` frames after warm-up. Frames with more boxes briefly need
    more memory (the allocator gives it back afterwards); retained memory
    (a leak) lifts every later frame, so it moves the median.

    Args:
        curve (Sequence[float]): From :func:`rss_curve`.
        warmup (int): Frames treated as warm-up (allocator and caches).
        window (int): Frames per compared window; a multiple of 4 spans
            whole cycles of :func:`frame_boxes`. Defaults to 20.

    Returns:
        float: The growth in MiB (0 if memory went down).
    """
    if warmup < 0 or window < 1 or warmup + window > len(curve):
        raise UsageError(
            f'need warmup >= 0, window >= 1 and warmup + window <= '
            f'{len(curve)} frames, got warmup={warmup}, window={window}')
    first = float(np.median(curve[warmup:warmup + window]))
    last = float(np.median(curve[-window:]))
    return max(0.0, last - first)
