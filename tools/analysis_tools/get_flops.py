"""Print the parameters and FLOPs of a config's whole top-down model.

Two conventions, side by side (one multiply-add = one FLOP in both):

- **paper**: how the LEViTPose paper (and MMPose 0.29's ``get_flops``, and
  so MMPose's published peer sizes) counted: mmcv 1.x's module hooks over
  ``forward_dummy``; functional operations (matmul, softmax, additions) cost
  nothing (``levitpose.analysis.hook_flops``). Also split into stem / stages /
  head.
- **complete**: every operator of the traced graph (mmengine's
  ``FlopAnalyzer`` with LEViTPose's handles for what it skips).

Example::

    python tools/analysis_tools/get_flops.py \\
        configs/body_2d_keypoint/topdown_heatmap/mpii/\\
td-hm_levitpose-t_8xb64-210e_mpii-256x256.py --input-shape 256 256
"""
import argparse
import functools
import sys

from levitpose.cli import ToolParser, run_tool
from levitpose.cli.shared_args import add_input_shape


def parse_args(argv=None) -> argparse.Namespace:
    """Parse the command line (a bad one exits 2 with one line)."""
    parser = ToolParser(
        description='Params and FLOPs of a top-down pose model '
        '(model(x, None, "tensor"), batch 1), in the paper\'s convention '
        'and completely.')
    parser.add_argument('config', help='config file path')
    add_input_shape(parser)
    return parser.parse_args(argv)


def print_flops(args: argparse.Namespace) -> None:
    """Count the config's model and print both conventions."""
    import levitpose  # noqa: F401  registers the models
    from levitpose.analysis import format_count, get_config_complexity
    result = get_config_complexity(
        args.config,
        tuple(args.input_shape) if args.input_shape else None)
    h, w = result['input_shape']
    print(f'config: {args.config}')
    print(f'input shape: 1x3x{h}x{w}')
    print(f'params: {format_count(result["paper_params"])} '
          f'({result["paper_params"]}) (trainable, as the paper)')
    paper = result['paper_flops']
    print(f'flops (paper convention, mmcv 1.x hooks): '
          f'{format_count(paper)} ({paper})')
    for part, flops in result['paper_parts'].items():
        print(f'  {part}: {format_count(flops)} ({flops / paper:.1%})')
    print(f'flops (complete, every operator): '
          f'{format_count(result["flops"])} ({result["flops"]})')
    attention = sum(v for k, v in result['by_operator'].items()
                    if k in ('matmul', 'bmm', 'scaled_dot_product_attention',
                             'baddbmm', 'softmax'))
    print(f'  of which attention (matmul/softmax): {format_count(attention)}')


def main(argv=None) -> int:
    """Run the tool; returns the exit status."""
    return run_tool(functools.partial(print_flops, parse_args(argv)))


if __name__ == '__main__':
    sys.exit(main())
