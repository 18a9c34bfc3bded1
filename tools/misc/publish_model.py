"""Publish a trained checkpoint: weights and plain metadata only.

    python tools/misc/publish_model.py IN_FILE OUT_FILE

Drops the optimizer, schedulers, message hub and RNG state that training
checkpoints carry; the result loads with ``torch.load(weights_only=True)``.
Prints the output's size and sha256.
"""
import argparse
import functools
import sys

from levitpose.cli import ToolParser, run_tool
from levitpose.utils import UsageError


def parse_args(argv=None) -> argparse.Namespace:
    """Parse the command line."""
    parser = ToolParser(description='Strip a training checkpoint for release')
    parser.add_argument('in_file', help='checkpoint saved by training')
    parser.add_argument('out_file', help='the published checkpoint (.pth)')
    return parser.parse_args(argv)


def publish(args: argparse.Namespace) -> None:
    """Write the published checkpoint and print its size and sha256."""
    from levitpose.utils.publish import publish_checkpoint
    if not args.out_file.endswith('.pth'):
        raise UsageError(f'out_file {args.out_file} must end with .pth')
    info = publish_checkpoint(args.in_file, args.out_file)
    print(f"{info['path']}: {info['size']} bytes, {info['num_tensors']} "
          f"tensors, sha256 {info['sha256']}")


def main(argv=None) -> int:
    """Run the tool; returns the exit status."""
    return run_tool(functools.partial(publish, parse_args(argv)))


if __name__ == '__main__':
    sys.exit(main())
