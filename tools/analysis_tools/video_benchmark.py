"""End-to-end speed and identity stability of tracked video pose with the
torch-free runtime (``levitpose_lite.tracker.PoseTracker``).

For each detection interval (``--intervals``, default every frame and every
5th) and each pose mode (all people of a frame in one batched
``session.run``, or one call per person as rtmlib does), the tracker runs
over the whole video; frames are decoded beforehand, so frames/s counts
detection + pose + tracking + smoothing. The configurations take turns on
every frame, so changes of the machine's load affect them alike. When the
video has a ground-truth file (``<video>.json`` from
``tools/misc/make_pan_video.py``), identity switches are counted
(:func:`levitpose_lite.track_eval.count_id_switches`: each ground-truth
person is matched per frame to the tracked box of highest IoU, and a switch
is a change of its matched track id, the MOT convention).

Example::

    python tools/analysis_tools/video_benchmark.py levitpose-t.onnx \\
        --video demo/resources/crowdpose_103319_pan.mp4 --out-dir results

writes ``video_benchmark.{md,png}`` to ``--out-dir``. Without
``--det-onnx`` the offline HOG fallback detector is used.

Two other measurements, which need no ONNX model:

- ``--demo`` times the default demo (``python demo/topdown_demo_with_mmdet.py
  --input VIDEO``, nothing else) on the video, with the frames/s the demo
  itself reports (frames read, tracked, drawn and written, models already
  built), ``--repeat`` times; writes ``demo_speed.md``;
- ``--compare-detectors`` runs the HOG fallback with its image settings and
  with the demo's video settings on every ``--every``-th frame, and reports
  ms per frame and the true people (``<video>.json``) each finds (a box of
  IoU >= 0.3); writes ``detectors.md``.

Errors: one ``error:`` line, exit status 2 (usage) or 1 (an unreadable
video, model or ground truth).
"""
import argparse
import functools
import json
import os
import os.path as osp
import sys
import time

from levitpose_lite.cli import (ToolParser, add_int_options, add_out_dir,
                                check_least, command_line, run_tool)
from levitpose_lite.errors import (InvalidInputError, UsageError, check_file,
                                   first_line)

DEFAULT_VIDEO = osp.join('demo', 'resources', 'crowdpose_103319_pan.mp4')
# tqdm shows s/frame below 1 frame/s; always show frames/second
PROGRESS_FORMAT = ('{desc}: {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} '
                   '[{elapsed}<{remaining}, {rate_noinv_fmt}]')

#: Integer options that must be at least 1: ``(flag, default, help)``.
COUNTS = (('--repeat', 1, '--demo runs (default 1)'),
          ('--every', 5, '--compare-detectors: every this-th frame '
           '(default 5)'), ('--max-frames', None,
                            'use only the first frames (default: all)'),
          ('--threads', 2, 'ONNX Runtime threads (default 2)'))


def parse_args(argv=None) -> argparse.Namespace:
    parser = ToolParser(
        description='Tracked video pose: frames/s and id switches.')
    parser.add_argument(
        'onnx',
        nargs='?',
        help='pose model from pytorch2onnx.py (not with --demo or '
        '--compare-detectors)')
    parser.add_argument(
        '--demo',
        action='store_true',
        help='time the default demo on the video instead')
    parser.add_argument(
        '--demo-det-intervals',
        type=int,
        nargs='*',
        default=[],
        help='--demo: also time the demo with these --det-interval values')
    parser.add_argument(
        '--compare-detectors',
        action='store_true',
        help='compare the HOG fallback\'s image and video settings instead')
    parser.add_argument(
        '--video',
        default=DEFAULT_VIDEO,
        help=f'the video (default: {DEFAULT_VIDEO})')
    parser.add_argument(
        '--gt',
        default=None,
        help='ground-truth boxes JSON (default: the video\'s .json, if any)')
    parser.add_argument(
        '--det-onnx',
        default=None,
        help='ONNX person detector exported from MMDetection (default: the '
        'HOG fallback)')
    parser.add_argument(
        '--intervals',
        type=int,
        nargs='+',
        default=[1, 5],
        help='detection intervals to compare (default: 1 5)')
    parser.add_argument(
        '--kpt-thr',
        type=float,
        default=0.3,
        help='keypoint confidence threshold of the tracker (default 0.3)')
    add_int_options(parser, COUNTS)
    add_out_dir(parser, 'video_benchmark', 'video_benchmark.{md,png}')
    return parser.parse_args(argv)


class TrackerRun:
    """One configuration's run over the video: a fresh tracker, its
    results, its time and its model calls.

    Args:
        detector (Callable): ``detector(image) -> (boxes, scores)``.
        pose (Callable): ``pose(image, boxes) -> (keypoints, scores)``.
        interval (int): The tracker's detection interval.
        batched (bool): All people of a frame in one pose call, or one call
            per person.
        kpt_thr (float): The tracker's keypoint threshold.
        fps (float): The video's frame rate (for smoothing).
    """

    def __init__(self, detector, pose, interval: int, batched: bool,
                 kpt_thr: float, fps: float) -> None:
        from levitpose_lite.tracker import PoseTracker
        self.detection = ('every frame'
                          if interval == 1 else f'every {interval} frames')
        self.mode = 'batched' if batched else 'one per person'
        self.calls = dict(pose=0, detector=0)
        self.results, self.seconds = [], 0.

        def counted_pose(image, boxes):
            self.calls['pose'] += 1
            return pose(image, boxes)

        def counted_detector(image):
            self.calls['detector'] += 1
            return detector(image)

        self.tracker = PoseTracker(
            counted_detector,
            counted_pose,
            det_interval=interval,
            kpt_thr=kpt_thr,
            fps=fps,
            batched=batched)

    def __call__(self, frame) -> None:
        start = time.perf_counter()
        self.results.append(self.tracker(frame))
        self.seconds += time.perf_counter() - start


def write_plot(rows, path: str, title: str) -> None:
    """Frames/s per configuration, as horizontal bars."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    labels = [f"{r['detection']}, {r['pose_calls']}" for r in rows]
    fig, ax = plt.subplots(figsize=(8, 0.6 * len(rows) + 1.6))
    ax.barh(labels, [r['fps'] for r in rows], color='tab:blue')
    for i, row in enumerate(rows):
        ax.annotate(
            f"{row['fps']:.1f}", (row['fps'], i),
            xytext=(3, -3),
            textcoords='offset points',
            fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel('end-to-end frames/s (detection + pose + tracking)')
    ax.set_title(title, fontsize=8)
    ax.grid(True, axis='x', alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def markdown(rows, header: str) -> str:
    columns = [('detection', 'detection'), ('pose calls', 'pose_calls'),
               ('frames/s', 'fps'), ('ms/frame', 'ms'),
               ('people/frame', 'people'),
               ('session.run/frame', 'runs_per_frame'),
               ('detector runs', 'detector_runs'),
               ('id switches', 'id_switches'),
               ('GT persons tracked', 'tracked')]
    lines = [
        header, '', '| ' + ' | '.join(c for c, _ in columns) + ' |',
        '|' + '---|' * len(columns)
    ]
    for row in rows:
        cells = []
        for _, key in columns:
            value = row[key]
            if isinstance(value, float):
                value = f'{value:.1%}' if key == 'tracked' else f'{value:.2f}'
            cells.append(str(value))
        lines.append('| ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines) + '\n'


def load_average() -> str:
    """The 1-minute load average, as ``uptime`` prints it."""
    return f'{os.getloadavg()[0]:.2f}'


def demo_speed(args, command: str) -> str:
    """Run the default demo ``--repeat`` times on the video (and with each
    of ``--demo-det-intervals``, taking turns); a markdown table of the
    frames/s it reports."""
    import tempfile

    from levitpose.demo_app import (VIDEO_DET_INTERVAL, DemoOptions,
                                    run_topdown_demo)
    settings = [(f'default (every {VIDEO_DET_INTERVAL}th frame)', None)]
    settings += [(f'--det-interval {n}', n) for n in args.demo_det_intervals]
    rows = []
    for run in range(args.repeat):
        for label, interval in settings:
            load = load_average()
            with tempfile.TemporaryDirectory() as tmp:
                result = run_topdown_demo(
                    DemoOptions(
                        input=args.video,
                        output_root=tmp,
                        det_interval=interval),
                    log=lambda line: None)
            rows.append(f'| {run + 1} | {label} | {result.num_frames} | '
                        f'{result.seconds:.2f} | '
                        f'{result.num_frames / result.seconds:.2f} | {load} |')
    return '\n'.join([
        f'`{command}`', '', '`python demo/topdown_demo_with_mmdet.py '
        f'--input {args.video}` (defaults unless said), {os.cpu_count()} '
        'CPUs; frames/s as the demo reports it (frames read, tracked, drawn '
        'and written; models already built)', '',
        '| run | detection | frames | seconds | frames/s | load average at '
        'start |', '|---|---|---|---|---|---|', *rows
    ]) + '\n'


def compare_detectors(args, command: str) -> str:
    """The HOG fallback's image and video settings on every
    ``args.every``-th frame: ms/frame and true people found."""
    import cv2
    import numpy as np

    from levitpose.demo_app import HOGPersonDetector, VideoHOGPersonDetector
    from levitpose_lite.boxes import box_iou
    from levitpose_lite.track_eval import GT_IOU_THR
    from levitpose_lite.video import read_frames
    cv2.setNumThreads(args.threads)
    frames, _ = read_frames(args.video, args.max_frames)
    gt_path = args.gt or osp.splitext(args.video)[0] + '.json'
    with open(gt_path) as f:
        gt = json.load(f)['frames']
    if len(gt) < len(frames):
        raise InvalidInputError(
            f'{gt_path} annotates {len(gt)} frames but the '
            f'video has {len(frames)}')
    picked = range(0, len(frames), args.every)
    lines = [
        f'`{command}`', '', f'{len(picked)} frames of '
        f'{osp.basename(args.video)}, {args.threads} OpenCV threads, load '
        f'average {load_average()} at start', '',
        '| settings | ms/frame | true people found |', '|---|---|---|'
    ]
    for label, detector in (('image (upscaled to a 600-pixel short side, '
                             'stride 4, step 1.03)', HOGPersonDetector()),
                            ('video (downscaled to a '
                             f'{VideoHOGPersonDetector.SHORT_SIDE}-pixel '
                             'short side, stride '
                             f'{VideoHOGPersonDetector.WIN_STRIDE}, step '
                             f'{VideoHOGPersonDetector.SCALE_STEP})',
                             VideoHOGPersonDetector())):
        seconds, found, total = 0., 0, 0
        for i in picked:
            start = time.perf_counter()
            boxes, _ = detector(frames[i])
            seconds += time.perf_counter() - start
            truth = np.asarray(gt[i]['boxes'], np.float32).reshape(-1, 4)
            total += len(truth)
            if len(boxes) and len(truth):
                found += int((box_iou(truth, boxes).max(1)
                              >= GT_IOU_THR).sum())
        lines.append(f'| {label} | {1000 * seconds / len(picked):.0f} | '
                     f'{found} of {total} |')
    return '\n'.join(lines) + '\n'


def write_text(out_dir: str, name: str, text: str) -> None:
    """Write ``text`` to ``out_dir/name`` and print it."""
    with open(osp.join(out_dir, name), 'w') as f:
        f.write(text)
    print(text)
    print(f'wrote {name} to {out_dir}')


def _check_args(args) -> None:
    """Raise the first usage error of ``args``."""
    counts = [flag for flag, _, _ in COUNTS]
    check_least(args,
                [(flag, 1)
                 for flag in counts + ['--intervals', '--demo-det-intervals']])
    if args.demo or args.compare_detectors:
        if args.onnx is not None or (args.demo and args.compare_detectors):
            raise UsageError('--demo and --compare-detectors take no ONNX '
                             'model and not each other')
    elif args.onnx is None:
        raise UsageError('the ONNX pose model is required (see --help)')


def _other_measurement(args, command: str) -> None:
    """``--demo`` or ``--compare-detectors``."""
    try:
        if args.demo:
            write_text(args.out_dir, 'demo_speed.md',
                       demo_speed(args, command))
        else:
            write_text(args.out_dir, 'detectors.md',
                       compare_detectors(args, command))
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise InvalidInputError(first_line(err)) from err


def benchmark(args: argparse.Namespace, command: str) -> None:
    """Run every configuration over the video; write the table and plot."""
    _check_args(args)
    try:
        os.makedirs(args.out_dir, exist_ok=True)
    except OSError as err:
        raise InvalidInputError(
            f'--out-dir {args.out_dir}: {err.strerror}') from err
    if args.demo or args.compare_detectors:
        return _other_measurement(args, command)
    import onnxruntime
    from tqdm import tqdm

    from levitpose_lite import TopDownPoseONNX
    from levitpose_lite.detectors import (HOGFallbackPersonDetector,
                                          ONNXPersonDetector)
    from levitpose_lite.track_eval import count_id_switches
    from levitpose_lite.video import read_frames
    check_file(args.onnx, 'ONNX model')
    if args.det_onnx:
        check_file(args.det_onnx, '--det-onnx')
    gt_path = args.gt or osp.splitext(args.video)[0] + '.json'
    if args.gt:
        check_file(args.gt, '--gt')
    try:
        frames, fps = read_frames(args.video, args.max_frames)
        pose = TopDownPoseONNX(args.onnx, num_threads=args.threads)
        detector = (
            ONNXPersonDetector(args.det_onnx, num_threads=args.threads)
            if args.det_onnx else HOGFallbackPersonDetector())
        gt = None
        if args.gt or osp.isfile(gt_path):
            with open(gt_path) as f:
                gt = json.load(f)['frames']
    except (OSError, ValueError, KeyError, TypeError, ImportError) as err:
        raise InvalidInputError(first_line(err)) from err
    runs = [
        TrackerRun(detector, pose, interval, batched, args.kpt_thr, fps)
        for interval in args.intervals for batched in (True, False)
    ]
    # every frame goes through all configurations in turn, so that changes
    # of the machine's load during the run affect them all alike
    for frame in tqdm(
            frames, desc='frames', unit='frame', bar_format=PROGRESS_FORMAT):
        for run in runs:
            run(frame)
    rows = []
    for run in runs:
        switches, tracked = (
            count_id_switches(run.results, gt) if gt else ('n/a', 'n/a'))
        rows.append(
            dict(
                detection=run.detection,
                pose_calls=run.mode,
                fps=len(frames) / run.seconds,
                ms=1000 * run.seconds / len(frames),
                people=sum(map(len, run.results)) / len(frames),
                runs_per_frame=run.calls['pose'] / len(frames),
                detector_runs=run.calls['detector'],
                id_switches=switches,
                tracked=tracked))
    machine = (f'{len(frames)} frames of {osp.basename(args.video)}; '
               f'detector: {detector.name}; pose: {osp.basename(args.onnx)}; '
               f'keypoint threshold {args.kpt_thr}; {args.threads} ONNX '
               'Runtime threads, onnxruntime '
               f'{onnxruntime.__version__}; frames decoded beforehand; '
               'configurations interleaved frame by frame')
    write_plot(rows, osp.join(args.out_dir, 'video_benchmark.png'), machine)
    write_text(args.out_dir, 'video_benchmark.md',
               markdown(rows, f'`{command}`\n\n{machine}'))


def main(argv=None) -> int:
    command = command_line('tools/analysis_tools/video_benchmark.py', argv)
    return run_tool(functools.partial(benchmark, parse_args(argv), command))


if __name__ == '__main__':
    sys.exit(main())
