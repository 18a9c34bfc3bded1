"""The demo application: validate the options and the input, build the
models, run every image or video frame, write the outputs atomically.

Nothing is lost to one bad item: an unreadable image of a folder, or
undecodable frames of a video, are named in a warning as they are met, all
the good ones are processed and written, and the run ends with
:class:`IncompleteRunError` (exit status 1) naming the bad ones.
"""
import os
import os.path as osp
import sys
import time
from dataclasses import dataclass, field
from typing import Callable, List, Tuple

from ..utils.errors import InvalidInputError, UsageError
from ..utils.strict_load import describe_keys
from .inputs import WEBCAM, InputFrame, InputSource, iter_frames, open_input
from .options import DemoOptions, check_options, resolve_pose_model
from .outputs import AtomicVideoWriter, write_image, write_json
from .pipeline import TopdownDemo, instance_dicts

__all__ = ['DemoResult', 'IncompleteRunError', 'run_topdown_demo']

# tqdm's default shows s/frame below 1 frame/s; always show frames/second
PROGRESS_FORMAT = ('{desc}: {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} '
                   '[{elapsed}<{remaining}, {rate_noinv_fmt}]')


@dataclass
class DemoResult:
    """What a run wrote.

    Args:
        outputs (list[str]): Drawn images or the drawn video.
        predictions (list[str]): JSON files (with ``save_predictions``).
        num_frames (int): Images or video frames processed.
        seconds (float): Wall time of the processing loop.
        unreadable (list[str]): Images or video frames that could not be
            read (and were skipped).
    """
    outputs: List[str]
    predictions: List[str]
    num_frames: int
    seconds: float
    unreadable: List[str] = field(default_factory=list)


class IncompleteRunError(InvalidInputError):
    """Some items of the input could not be read; the others were processed
    and their outputs written (``result``)."""

    def __init__(self, message: str, result: DemoResult) -> None:
        super().__init__(message)
        self.result = result


def _warn(line: str) -> None:
    print(f'warning: {line}', file=sys.stderr, flush=True)


def _output_paths(opts: DemoOptions, path: str) -> Tuple[str, str]:
    name = osp.basename(path)
    out = osp.join(opts.output_root, name)
    if osp.abspath(out) == osp.abspath(path):
        raise UsageError(
            f'--output-root {opts.output_root} would overwrite the input '
            f'{path}; choose another folder')
    return out, osp.join(opts.output_root,
                         f'results_{osp.splitext(name)[0]}.json')


def _skip(result: DemoResult, frame: InputFrame) -> None:
    result.unreadable.append(frame.name)
    _warn(f'skipped: {frame.error}')


def _run_images(demo: TopdownDemo, source: InputSource) -> DemoResult:
    from mmpose.structures import split_instances

    opts, result = demo.opts, DemoResult([], [], 0, 0.)
    start = time.perf_counter()
    for frame in iter_frames(source):
        if frame.error is not None:
            _skip(result, frame)
            continue
        out, pred = _output_paths(opts, frame.name)
        sample, whole = demo.estimate(frame.image)
        if whole:
            demo.log(f'{frame.name}: the detector found no person; '
                     'estimated one pose in the whole image instead')
        else:
            demo.log(f'{frame.name}: {len(sample.pred_instances)} person(s)')
        drawn = demo.draw(frame.image, sample)
        write_image(out, drawn)
        result.outputs.append(out)
        if opts.save_predictions:
            write_json(
                pred,
                demo.predictions(
                    split_instances(sample.pred_instances),
                    [osp.basename(frame.name)] if whole else [], []))
            result.predictions.append(pred)
        if opts.show:
            demo.show(drawn, 0)
        result.num_frames += 1
    result.seconds = time.perf_counter() - start
    return result


def _run_video(demo: TopdownDemo, source: InputSource) -> DemoResult:
    """Every frame of a video (or of the webcam, until it stops or Ctrl+C):
    tracked (ids, smoothed keypoints, detection every ``det_interval``
    frames) unless ``no_track``."""
    from tqdm import tqdm

    opts = demo.opts
    webcam = source.kind == WEBCAM
    out, pred = _output_paths(opts, f'{WEBCAM}.mp4' if webcam else source.path)
    result = DemoResult([out], [], 0, 0.)
    instance_info, no_person = [], []
    tracker = None if opts.no_track else demo.tracker(source.fps)
    start = time.perf_counter()
    with AtomicVideoWriter(out, source.fps) as writer, tqdm(
            total=source.num_frames or None,
            unit='frame',
            desc=WEBCAM if webcam else 'video',
            bar_format=PROGRESS_FORMAT) as bar:
        try:
            for frame in iter_frames(source):
                if frame.error is not None:
                    _skip(result, frame)
                    continue
                if tracker is None:
                    sample, whole = demo.estimate(frame.image)
                    if whole:
                        no_person.append(frame.index)
                else:
                    sample = demo.track(tracker, frame.image)
                drawn = demo.draw(frame.image, sample)
                writer.write(drawn)
                instance_info.append(
                    dict(
                        frame_id=frame.index,
                        instances=instance_dicts(sample)))
                if opts.show:
                    demo.show(drawn, 1)
                bar.update()
        except KeyboardInterrupt:
            if not webcam:
                raise
            demo.log('webcam stopped (Ctrl+C); writing the outputs')
    result.seconds = time.perf_counter() - start
    result.num_frames = len(instance_info)
    if no_person:
        demo.log(f'the detector found no person in {len(no_person)} of '
                 f'{len(instance_info)} frames; those frames use the whole '
                 'image as one box')
    if tracker is not None:
        ids = {i['track_id'] for f in instance_info for i in f['instances']}
        demo.log(
            f'tracked {len(ids)} person(s) over {len(instance_info)} '
            f'frames (detector every {opts.video_det_interval()} frame(s), '
            f'smoothing {"off" if opts.no_smooth else "on"})')
    if opts.save_predictions:
        write_json(
            pred, demo.predictions(instance_info, no_person,
                                   result.unreadable))
        result.predictions.append(pred)
    return result


def _make_output_root(path: str) -> None:
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as err:
        raise InvalidInputError(
            f'cannot create --output-root {path}: {err.strerror}') from err


def run_topdown_demo(opts: DemoOptions,
                     log: Callable[[str], None] = print) -> DemoResult:
    """Run the demo: validate everything, build the models, process the
    input, write the outputs atomically.

    Args:
        opts (DemoOptions): The options (``pose_config`` None: the
            repository's default model).
        log (Callable[[str], None]): Where progress lines go. Defaults to
            :func:`print`.

    Returns:
        DemoResult: Paths written, frames processed and time taken.

    Raises:
        UsageError: For a bad option value.
        InvalidInputError: For a bad input, config or checkpoint (message
            names it).
        IncompleteRunError: After processing every readable item, if some
            could not be read (message names them; ``result`` holds what
            was written).
    """
    opts = resolve_pose_model(opts)
    check_options(opts)
    source = open_input(opts.input)
    for path in source.images or [source.path]:
        _output_paths(opts, path)  # refuse to overwrite an input early
    demo = TopdownDemo(opts, log)
    _make_output_root(opts.output_root)
    if source.kind in ('video', WEBCAM):
        result = _run_video(demo, source)
    else:
        result = _run_images(demo, source)
    fps = result.num_frames / result.seconds if result.seconds else 0.
    unit = 'image' if source.kind in ('image', 'folder') else 'frame'
    log(f'processed {result.num_frames} {unit}(s) in '
        f'{result.seconds:.2f} s ({fps:.2f} per second); outputs in '
        f'{opts.output_root}')
    if result.unreadable:
        raise IncompleteRunError(
            f'{len(result.unreadable)} item(s) of {opts.input} could not be '
            f'read and were skipped: {describe_keys(result.unreadable)}; '
            f'the {result.num_frames} readable {unit}(s) were processed, '
            f'outputs in {opts.output_root}', result)
    return result
