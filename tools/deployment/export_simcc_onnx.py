"""Export an MMPose SimCC model (RTMPose) to ONNX for the lite benchmark.

Example (random initialisation, for timing only)::

    python tools/deployment/export_simcc_onnx.py \\
        mmpose::body_2d_keypoint/rtmpose/coco/\\
rtmpose-t_8xb256-420e_coco-256x192.py --output-file work_dirs/rtmpose-t.onnx

Errors: one ``error:`` line, exit status 2 (usage) or 1 (bad input).
"""
import argparse
import functools
import os
import sys

from levitpose.cli import ToolParser, run_tool
from levitpose.cli.shared_args import add_export_args
from levitpose.utils import UsageError


def parse_args(argv=None) -> argparse.Namespace:
    """Parse the command line."""
    parser = ToolParser(description=__doc__.split('\n')[0])
    add_export_args(
        parser,
        config_help='config file or mmpose:: name',
        checkpoint_help='checkpoint (omit for random weights: timing only)')
    return parser.parse_args(argv)


def export(args: argparse.Namespace) -> None:
    """Export and print the file's size."""
    out_dir = os.path.dirname(os.path.abspath(args.output_file))
    if not os.path.isdir(out_dir):
        raise UsageError(f'--output-file: the folder {out_dir} does not exist')
    from levitpose.deploy.simcc_export import export_simcc_onnx
    export_simcc_onnx(args.config, args.output_file, args.checkpoint)
    size_mb = os.path.getsize(args.output_file) / 2**20
    print(f'exported {args.output_file} ({size_mb:.2f} MiB, SimCC outputs '
          'joined, dynamic batch)')


def main(argv=None) -> int:
    """Run the tool; returns the exit status."""
    return run_tool(functools.partial(export, parse_args(argv)))


if __name__ == '__main__':
    sys.exit(main())
