"""Convert Microsoft's EfficientViT-M0 ImageNet checkpoint for the pose
baseline's backbone.

    python tools/model_converters/efficientvit_msra2levitpose.py \
        efficientvit_m0.pth checkpoints/efficientvit-m0_in1k_backbone.pth

Reads the Cream layout (Microsoft's released ``efficientvit_m0.pth``) or
timm's ``efficientvit_m0`` state dict (detected from the keys), maps the
three stages onto the backbone of ``--config`` (default: the EfficientViT-M0
MPII config), and prints what it loaded, what it skipped (the stride-16
stem, the classifier, bias tables of another window size) and what keeps
its initialisation. A file that does not fit is refused in one line (exit
1) and nothing is written. Load the result in a config with
``model.backbone.init_cfg=dict(type='StrictPretrained', checkpoint=<out>,
prefix='backbone.')``; see docs/training.md.
"""
import argparse
import functools
import sys

from levitpose.cli import ToolParser, run_tool
from levitpose.utils import UsageError


def parse_args(argv=None) -> argparse.Namespace:
    """Parse the command line."""
    from levitpose.utils.efficientvit_msra import DEFAULT_CONFIG
    parser = ToolParser(
        description='EfficientViT-M0 ImageNet checkpoint (Cream or timm '
        'layout) -> the pose baseline backbone')
    parser.add_argument('src', help='efficientvit_m0 checkpoint (.pth)')
    parser.add_argument('dst', help='converted checkpoint (.pth)')
    parser.add_argument(
        '--config',
        default=DEFAULT_CONFIG,
        help='config whose EfficientViT backbone sets the expected keys '
        'and shapes (default: %(default)s)')
    return parser.parse_args(argv)


def convert(args: argparse.Namespace) -> None:
    """Convert, then print what was loaded and skipped."""
    from levitpose.utils.efficientvit_msra import convert_file, summarise
    if not args.dst.endswith('.pth'):
        raise UsageError(f'dst {args.dst} must end with .pth')
    result = convert_file(args.src, args.dst, args.config)
    conversion = result['conversion']
    lines = summarise(conversion)
    print(f"{args.src}: {result['layout']} layout; wrote {args.dst} "
          f'({len(conversion.loaded)} tensors, keys prefixed backbone.)')
    for title, key in (('loaded', 'loaded'), ('skipped', 'skipped'),
                       ('left initialised', 'left_initialised')):
        print(f'{title} ({len(lines[key])} groups):')
        for line in lines[key]:
            print(f'  {line}')


def main(argv=None) -> int:
    """Run the tool; returns the exit status."""
    return run_tool(functools.partial(convert, parse_args(argv)))


if __name__ == '__main__':
    sys.exit(main())
