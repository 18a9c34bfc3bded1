"""Check that top-down inference holds steady memory over many frames.

Runs ``inference_topdown`` on ``--frames`` frames (the input is cycled; 1-4
boxes of varying size per frame), prints the process RSS every
``--interval`` frames, and fails (exit 1) if RSS grows by more than
``--max-growth`` MiB after warm-up: the median RSS of the last ``--window``
frames against that of the first ``--window`` frames after warm-up (see
:func:`levitpose.demo_app.memory_check.growth_after_warmup`).

Example:
    python tools/analysis_tools/memory_check.py --input demo.mp4
"""
import argparse
import functools
import os
import sys

from levitpose.cli import ToolParser, run_tool
from levitpose.utils import UsageError

DEFAULT_CONFIG = os.path.join(
    os.path.dirname(os.path.abspath(__file__)), '..', '..', 'configs',
    'body_2d_keypoint', 'topdown_heatmap', 'coco',
    'td-hm_levitpose-t_8xb64-210e_coco-256x256.py')


def parse_args(argv=None) -> argparse.Namespace:
    """Parse the command line."""
    parser = ToolParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--input', required=True, help='video, image or folder of images')
    parser.add_argument(
        '--config', default=DEFAULT_CONFIG, help='pose model config')
    parser.add_argument(
        '--checkpoint', default=None, help='checkpoint (default: random)')
    parser.add_argument('--frames', type=int, default=500)
    parser.add_argument(
        '--warmup', type=int, default=50, help='frames before the baseline')
    parser.add_argument(
        '--window', type=int, default=20, help='frames per compared window')
    parser.add_argument(
        '--interval', type=int, default=50, help='print RSS every N frames')
    parser.add_argument(
        '--max-growth', type=float, default=20.0, help='MiB allowed')
    parser.add_argument('--threads', type=int, default=1)
    return parser.parse_args(argv)


def check(args: argparse.Namespace) -> int:
    """Run the frames; returns 1 if memory grew too much."""
    if args.warmup < 0 or args.window < 1 or (args.warmup + args.window
                                              > args.frames):
        raise UsageError(f'need --warmup >= 0, --window >= 1 and --warmup + '
                         f'--window <= --frames, got {args.warmup}, '
                         f'{args.window}, {args.frames}')
    if args.interval < 1 or args.threads < 1:
        raise UsageError('--interval and --threads must be >= 1')
    import torch

    from levitpose.apis import init_pose_model
    from levitpose.demo_app import open_input
    from levitpose.demo_app.memory_check import growth_after_warmup, rss_curve
    torch.set_num_threads(args.threads)
    open_input(args.input)  # refuse a bad input before building the model
    model = init_pose_model(args.config, args.checkpoint, device='cpu')
    curve = rss_curve(model, args.input, args.frames)
    for frame in range(args.interval, args.frames + 1, args.interval):
        print(f'frame {frame:5d}: RSS {curve[frame - 1]:8.1f} MiB')
    growth = growth_after_warmup(curve, args.warmup, args.window)
    verdict = 'OK' if growth <= args.max_growth else 'FAIL'
    after = curve[args.warmup:]
    print(f'{verdict}: RSS growth after {args.warmup} warm-up frames: '
          f'{growth:.1f} MiB (limit {args.max_growth:g} MiB; first frame '
          f'{curve[0]:.1f}, after warm-up min {min(after):.1f} / max '
          f'{max(after):.1f}, last frame {curve[-1]:.1f} MiB)')
    return 0 if verdict == 'OK' else 1


def main(argv=None) -> int:
    """Run the tool; returns the exit status."""
    return run_tool(functools.partial(check, parse_args(argv)))


if __name__ == '__main__':
    sys.exit(main())
