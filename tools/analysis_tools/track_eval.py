"""Tracking quality of ``levitpose_lite.tracker.PoseTracker`` measured
against known poses: the tracker runs with oracle inputs (the annotated
people's boxes and keypoints, with controlled noise and missed detections;
see :mod:`levitpose_lite.track_eval`) on videos annotated frame by frame,
and TrackEval scores it (MOTA, IDF1, id switches, fragmentations), with
the keypoint error of the raw and the smoothed poses.

Example (the bundled CrowdPose pan; more pans are made with
``tools/misc/make_pan_video.py``, which writes each video's ground truth)::

    python tools/analysis_tools/track_eval.py \\
        demo/resources/crowdpose_103319_pan.mp4 --out-dir results

Each video's ground truth is ``--gt`` (in the order of the videos) or the
video's ``.json``. Besides the videos, ``--overlap-ious`` adds synthetic
videos of two people (the first two annotated poses of the first video's
first frame, resized alike) whose boxes overlap by that IoU in every frame.
The tracker gets each video's frames (for re-identification by appearance;
the overlap scenes are black frames); ``--reid-memory`` compares memories
of lost tracks, ``--reid-thr`` sets the appearance similarity.
Writes to ``--out-dir``, only once every run is done: ``track_eval.md``
(per setting: all videos together, by TrackEval's ``combine_sequences``,
and each overlap scene), ``track_eval_videos.md`` (every video and
setting) and ``track_eval.png`` (people-frames found and keypoint errors
against noise). Exit status: 2 for a usage error, 1 for an unreadable or
mismatched video or annotation.
"""
import argparse
import functools
import itertools
import os
import os.path as osp
import sys
import tempfile

from levitpose_lite.cli import ToolParser, add_out_dir, command_line, run_tool
from levitpose_lite.errors import InvalidInputError, check_file, first_line

COLUMNS = (('video', 'video'), ('noise % of height', 'noise'), ('detection',
                                                                'interval'),
           ('missed detections', 'miss'), ('re-id memory (frames)', 'reid'),
           ('people-frames', 'people_frames'), ('found', 'found'),
           ('MOTA', 'MOTA'), ('IDF1', 'IDF1'), ('id switches', 'IDSW'),
           ('fragmentations', 'Frag'), ('false positives', 'CLR_FP'),
           ('kpt error raw (px)',
            'error_raw'), ('kpt error smoothed (px)',
                           'error_smoothed'), ('tracker frames/s',
                                               'tracker_fps'))


def parse_args(argv=None):
    parser = ToolParser(
        description='Tracking quality against known poses (oracle inputs).')
    parser.add_argument('videos', nargs='+', help='annotated videos')
    parser.add_argument(
        '--gt',
        nargs='+',
        default=None,
        help='their ground-truth JSON files (default: each video\'s .json)')
    parser.add_argument(
        '--noise',
        type=float,
        nargs='+',
        default=[0., 1., 2., 5.],
        help='keypoint and box noise, %% of the person height, in [0, 50] '
        '(default: 0 1 2 5)')
    parser.add_argument(
        '--intervals',
        type=int,
        nargs='+',
        default=[1, 5, 10],
        help='detection intervals (default: 1 5 10)')
    parser.add_argument(
        '--miss-rates',
        type=float,
        nargs='+',
        default=[0.],
        help='chances that a detection is missed, in [0, 1) (default: 0)')
    parser.add_argument(
        '--overlap-ious',
        type=float,
        nargs='*',
        default=[],
        help='also track two people overlapping by these box IoUs, in '
        '[0, 1) (default: none)')
    parser.add_argument(
        '--matching',
        choices=('greedy', 'hungarian'),
        default='greedy',
        help='the tracker\'s pose-to-track matching (default: greedy)')
    parser.add_argument(
        '--beta',
        type=float,
        default=None,
        help='the One-Euro filter\'s speed coefficient, Hz per person '
        'height per second (default: the tracker\'s)')
    parser.add_argument(
        '--reid-memory',
        type=int,
        nargs='+',
        default=None,
        help='frames a lost track is remembered for re-identification by '
        'appearance, >= 0; several values are compared (default: the '
        'tracker\'s)')
    parser.add_argument(
        '--reid-thr',
        type=float,
        default=None,
        help='least appearance similarity of a re-identification, in '
        '[0, 1] (default: the tracker\'s)')
    parser.add_argument('--seed', type=int, default=0, help='noise seed')
    add_out_dir(parser, 'track_eval', 'the results')
    args = parser.parse_args(argv)
    for value in args.noise:
        if not 0 <= value <= 50:
            parser.error(f'--noise must be in [0, 50] (% of the person '
                         f'height), got {value:g}')
    if args.beta is not None and not args.beta >= 0:
        parser.error('--beta must be >= 0')
    if args.reid_memory is not None and min(args.reid_memory) < 0:
        parser.error('--reid-memory must be >= 0')
    if args.reid_thr is not None and not 0 <= args.reid_thr <= 1:
        parser.error(f'--reid-thr must be in [0, 1], got {args.reid_thr:g}')
    if min(args.intervals) < 1:
        parser.error('--intervals must be >= 1')
    for name, values in (('--miss-rates', args.miss_rates),
                         ('--overlap-ious', args.overlap_ious)):
        if any(not 0 <= v < 1 for v in values):
            parser.error(f'{name} must be in [0, 1)')
    if args.gt is not None and len(args.gt) != len(args.videos):
        parser.error(f'got {len(args.gt)} --gt files for '
                     f'{len(args.videos)} videos')
    return args


def video_shape(path: str):
    """Frame count, width, height and fps of a video, by reading it."""
    from levitpose_lite.video import open_video, video_frames
    info = open_video(path)
    count = sum(
        frame is not None for frame in video_frames(path, info.num_frames))
    return (count, *info.frame_size, info.fps)


def load_sources(args):
    """``[(name, frames, (w, h), fps, video)]``: the videos, then the
    overlap scenes (their ``video`` None: black frames)."""
    from levitpose_lite.track_eval import (check_truth, load_truth,
                                           overlap_truth)
    sources = []
    for i, video in enumerate(args.videos):
        gt = args.gt[i] if args.gt else osp.splitext(video)[0] + '.json'
        check_file(gt, 'ground truth')
        count, width, height, fps = video_shape(video)
        frames, size = load_truth(gt)
        check_truth(frames, size, count, width, height, gt)
        sources.append(
            (osp.basename(video), frames, (width, height), fps, video))
    if args.overlap_ious:
        name, frames, size, fps, _ = sources[0]
        first = frames[0]
        people = [i for i in range(len(first.ids)) if first.present()[i]]
        if len(people) < 2:
            raise ValueError(f'{name} has fewer than two people in view in '
                             'its first frame for --overlap-ious')
        one, two = (first.select([i]) for i in people[:2])
        for iou in args.overlap_ious:
            sources.append((f'two people at IoU {iou:g} (from {name})',
                            overlap_truth(one, two, iou,
                                          size=size), size, fps, None))
    return sources


def images(video):
    """The decoded frames of ``video``, read as they are needed (None for
    the black frames of a synthetic scene)."""
    if video is None:
        return None
    from levitpose_lite.video import open_video, video_frames
    return (frame for frame in video_frames(video,
                                            open_video(video).num_frames)
            if frame is not None)


def cell(key, value):
    if key in ('found', ):
        return f'{value:.1%}'
    if key in ('MOTA', 'IDF1'):
        return f'{value:.3f}'
    if key in ('error_raw', 'error_smoothed'):
        return f'{value:.2f}'
    if key == 'tracker_fps':
        return f'{value:.0f}'
    if key == 'interval':
        return 'every frame' if value == 1 else f'every {value}th'
    if isinstance(value, float):
        return f'{value:g}'
    return str(value)


def markdown(rows, header: str) -> str:
    lines = [
        header, '', '| ' + ' | '.join(c for c, _ in COLUMNS) + ' |',
        '|' + '---|' * len(COLUMNS)
    ]
    for row in rows:
        lines.append('| ' + ' | '.join(cell(k, row[k])
                                       for _, k in COLUMNS) + ' |')
    return '\n'.join(lines) + '\n'


def write_plot(rows, path: str, title: str) -> None:
    """Share found and keypoint errors against noise, per interval (the
    rows of all pans together, no missed detections)."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    for interval in sorted({r['interval'] for r in rows}):
        mine = [r for r in rows if r['interval'] == interval]
        noise = [r['noise'] for r in mine]
        label = cell('interval', interval)
        left.plot(noise, [100 * r['found'] for r in mine], 'o-', label=label)
        right.plot(
            noise, [r['error_smoothed'] for r in mine],
            'o-',
            label=f'smoothed, {label}')
    base = [r for r in rows if r['interval'] == rows[0]['interval']]
    right.plot([r['noise'] for r in base], [r['error_raw'] for r in base],
               'k--',
               label='raw')
    left.set(
        xlabel='noise (% of person height)',
        ylabel='people-frames found (%)',
        title='found')
    right.set(
        xlabel='noise (% of person height)',
        ylabel='mean keypoint error (px)',
        title='keypoint error')
    for ax in (left, right):
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle(title, fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def write_results(out_dir: str, text: str, everything: str, plotted,
                  title: str) -> None:
    """Write the tables and the plot to ``out_dir``, all or none."""
    os.makedirs(out_dir, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out_dir) as tmp:
        write_plot(plotted, osp.join(tmp, 'track_eval.png'), title)
        with open(osp.join(tmp, 'track_eval.md'), 'w') as f:
            f.write(text)
        with open(osp.join(tmp, 'track_eval_videos.md'), 'w') as f:
            f.write(everything)
        for name in ('track_eval.md', 'track_eval_videos.md',
                     'track_eval.png'):
            os.replace(osp.join(tmp, name), osp.join(out_dir, name))


def track_eval(args: argparse.Namespace, command: str) -> None:
    """Track every source in every setting; write the tables and plot."""
    from levitpose_lite.track_eval import combine, evaluate
    from levitpose_lite.tracker import REID_MEMORY, REID_THR, SMOOTHING
    reid_thr = REID_THR if args.reid_thr is None else args.reid_thr
    smoothing = dict(SMOOTHING)
    if args.beta is not None:
        smoothing['beta'] = args.beta
    try:
        sources = load_sources(args)
    except (OSError, ValueError) as err:
        raise InvalidInputError(first_line(err)) from err
    rows, summary = [], []
    for noise in args.noise:
        for interval in args.intervals:
            for miss, reid in itertools.product(
                    args.miss_rates, args.reid_memory or [REID_MEMORY]):
                setting = dict(
                    noise=noise, interval=interval, miss=miss, reid=reid)
                runs = []
                for name, frames, size, fps, video in sources:
                    run = evaluate(
                        frames,
                        size,
                        noise / 100,
                        interval,
                        miss,
                        args.seed,
                        fps,
                        images=images(video),
                        matching=args.matching,
                        smoothing=smoothing,
                        reid_memory=reid,
                        reid_thr=reid_thr)
                    rows.append(dict(run, video=name, **setting))
                    if not name.startswith('two people'):
                        runs.append(run)
                if len(runs) > 1:
                    summary.append(
                        dict(
                            combine(runs),
                            video=f'all {len(runs)} videos',
                            **setting))
    import trackeval
    header = (f'`{command}`\n\nOracle inputs (true boxes and keypoints with '
              'Gaussian noise of the given share of the person height); '
              f'{args.matching} matching; One-Euro {smoothing}; '
              f're-identification at appearance similarity >= {reid_thr:g} '
              '(the videos\' frames; black frames in the overlap scenes); '
              f'TrackEval {trackeval.__version__} CLEAR and Identity, a '
              'tracked pose matching a true one at OKS >= 0.5; seed '
              f'{args.seed}; tracker frames/s excludes the (oracle) models.')
    overlaps = [r for r in rows if r['video'].startswith('two people')]
    text = markdown(summary + overlaps if summary else rows, header)
    everything = markdown(rows, header)
    first = (summary or rows)[0]
    plotted = [
        r for r in (summary or rows)
        if all(r[key] == first[key] for key in ('miss', 'reid', 'video'))
    ]
    try:
        write_results(
            args.out_dir, text, everything, plotted,
            f"{first['video']}, missed detections {first['miss']:g}, "
            f"re-id memory {first['reid']} frames")
    except OSError as err:
        raise InvalidInputError(
            f'--out-dir {args.out_dir}: {err.strerror}') from err
    print(text)
    print(f'wrote track_eval.md, track_eval_videos.md and track_eval.png to '
          f'{args.out_dir}')


def main(argv=None) -> int:
    command = command_line('tools/analysis_tools/track_eval.py', argv)
    return run_tool(functools.partial(track_eval, parse_args(argv), command))


if __name__ == '__main__':
    sys.exit(main())
