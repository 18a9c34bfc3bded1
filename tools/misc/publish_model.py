"""Publish a trained checkpoint: weights and plain metadata only.

    python tools/misc/publish_model.py IN_FILE OUT_FILE

Drops the optimizer, schedulers, message hub and RNG state that training
checkpoints carry; the result loads with ``torch.load(weights_only=True)``.
Prints the output's size and sha256.
"""
import argparse
import sys


def parse_args(argv=None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        description='Strip a training checkpoint for release')
    parser.add_argument('in_file', help='checkpoint saved by training')
    parser.add_argument('out_file', help='the published checkpoint (.pth)')
    return parser.parse_args(argv)


def main(argv=None) -> None:
    """Write the published checkpoint and print its size and sha256."""
    args = parse_args(argv)
    from levitpose.engine import publish_checkpoint
    from levitpose.utils import UnsafeCheckpointError
    if not args.out_file.endswith('.pth'):
        sys.exit(f'publish_model.py: error: out_file {args.out_file} must '
                 'end with .pth')
    try:
        info = publish_checkpoint(args.in_file, args.out_file)
    except (FileNotFoundError, KeyError, UnsafeCheckpointError) as err:
        sys.exit(f'publish_model.py: error: {err}')
    print(f"{info['path']}: {info['size']} bytes, {info['num_tensors']} "
          f"tensors, sha256 {info['sha256']}")


if __name__ == '__main__':
    main()
