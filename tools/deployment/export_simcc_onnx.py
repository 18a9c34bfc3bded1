"""Export an MMPose SimCC model (RTMPose) to ONNX for the lite benchmark.

Example (random initialisation, for timing only)::

    python tools/deployment/export_simcc_onnx.py \\
        mmpose::body_2d_keypoint/rtmpose/coco/\\
rtmpose-t_8xb256-420e_coco-256x192.py --output-file work_dirs/rtmpose-t.onnx
"""
import argparse
import os
import sys


class _Parser(argparse.ArgumentParser):

    def error(self, message: str) -> None:
        self.exit(2, f'error: {message} (see --help)\n')


def parse_args(argv=None) -> argparse.Namespace:
    parser = _Parser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='config file or mmpose:: name')
    parser.add_argument(
        'checkpoint',
        nargs='?',
        default=None,
        help='checkpoint (omit for random weights: timing only)')
    parser.add_argument(
        '--output-file', required=True, help='the .onnx file to write')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    out_dir = os.path.dirname(os.path.abspath(args.output_file))
    problem = ''
    if args.checkpoint and not os.path.isfile(args.checkpoint):
        problem = f'checkpoint not found: {args.checkpoint}'
    elif not os.path.isdir(out_dir):
        problem = f'output directory does not exist: {out_dir}'
    if problem:
        print(f'error: {problem}', file=sys.stderr)
        return 2
    from levitpose.deploy import resolve_config
    from levitpose.deploy.simcc_export import export_simcc_onnx
    try:
        resolve_config(args.config)
    except FileNotFoundError as err:
        print(f'error: {err}', file=sys.stderr)
        return 2
    try:
        export_simcc_onnx(args.config, args.output_file, args.checkpoint)
    except ValueError as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    size_mb = os.path.getsize(args.output_file) / 2**20
    print(f'exported {args.output_file} ({size_mb:.2f} MiB, SimCC outputs '
          'joined, dynamic batch)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
