"""Export a top-down heatmap model to ONNX (fused, dynamic batch) and check
it against PyTorch with ONNX Runtime.

Example::

    python tools/deployment/pytorch2onnx.py \\
        configs/body_2d_keypoint/topdown_heatmap/mpii/\\
td-hm_levitpose-t_8xb64-210e_mpii-256x256.py \\
        work_dirs/levitpose-t.pth --output-file levitpose-t.onnx

The checkpoint must fit the config (one loader for every tool: a checkpoint
of another model is refused, naming its keys). Errors: one ``error:`` line,
exit status 2 (usage) or 1 (bad input, or a parity check that fails).
"""
import argparse
import functools
import os
import sys

from levitpose.cli import ToolParser, run_tool
from levitpose.cli.shared_args import add_export_args
from levitpose.utils import LEViTPoseError, UsageError

TOLERANCE = 1e-4


def parse_args(argv=None) -> argparse.Namespace:
    """Parse the command line."""
    parser = ToolParser(description=__doc__.split('\n')[0])
    add_export_args(
        parser,
        config_help='model config file',
        checkpoint_help='checkpoint (omit for random weights, e.g. to '
        'benchmark)')
    parser.add_argument(
        '--input-shape',
        type=int,
        nargs=4,
        metavar=('N', 'C', 'H', 'W'),
        default=None,
        help='example input shape; default: 1 3 h w from the codec')
    parser.add_argument(
        '--opset',
        type=int,
        default=None,
        help='ONNX opset (>= 17; default 20, where GELU is one op)')
    parser.add_argument(
        '--exporter',
        default='dynamo',
        choices=['dynamo', 'torchscript'],
        help='torch.onnx exporter: dynamo (default) or the legacy '
        'TorchScript tracer (dynamo=False)')
    parser.add_argument(
        '--skip-check',
        action='store_true',
        help='skip the ONNX Runtime vs PyTorch comparison')
    return parser.parse_args(argv)


def export(args: argparse.Namespace) -> None:
    """Export, then compare ONNX Runtime with PyTorch."""
    from levitpose.deploy import (DEFAULT_OPSET, MIN_OPSET, check_onnx,
                                  default_input_shape, export_onnx,
                                  load_deploy_model, preprocessor_metadata)
    if args.opset is None:
        args.opset = DEFAULT_OPSET
    if args.opset < MIN_OPSET:
        raise UsageError(f'--opset must be >= {MIN_OPSET}, got {args.opset}')
    out_dir = os.path.dirname(os.path.abspath(args.output_file))
    if not os.path.isdir(out_dir):
        raise UsageError(f'--output-file: the folder {out_dir} does not exist')
    model = load_deploy_model(args.config, args.checkpoint)
    shape = tuple(args.input_shape or default_input_shape(model.cfg))
    export_onnx(
        model,
        args.output_file,
        shape,
        opset=args.opset,
        exporter=args.exporter,
        metadata=preprocessor_metadata(model.cfg))
    size_mb = os.path.getsize(args.output_file) / 2**20
    print(f'exported {args.output_file} ({size_mb:.2f} MiB, opset '
          f'{args.opset}, {args.exporter}, input {shape}, dynamic batch)')
    if args.skip_check:
        return
    diffs = check_onnx(args.output_file, model, shape, batch_sizes=(1, 2))
    for batch, diff in diffs.items():
        print(f'max |onnxruntime - pytorch| heatmap difference at batch '
              f'{batch}: {diff["max_abs_diff"]:.3e} (max |heatmap| '
              f'{diff["max_abs_output"]:.3e})')
    if max(d['max_abs_diff'] for d in diffs.values()) > TOLERANCE:
        raise LEViTPoseError(
            f'the ONNX model differs from PyTorch by more than {TOLERANCE:g}')
    print(f'parity check passed (<= {TOLERANCE:g})')


def main(argv=None) -> int:
    """Run the tool; returns the exit status."""
    return run_tool(functools.partial(export, parse_args(argv)))


if __name__ == '__main__':
    sys.exit(main())
