"""Export a top-down heatmap model to ONNX (fused, dynamic batch) and check
it against PyTorch with ONNX Runtime.

Example::

    python tools/deployment/pytorch2onnx.py \\
        configs/body_2d_keypoint/topdown_heatmap/mpii/\\
td-hm_levitpose-t_8xb64-210e_mpii-256x256.py \\
        work_dirs/levitpose-t.pth --output-file levitpose-t.onnx
"""
import argparse
import os
import sys

TOLERANCE = 1e-4


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='model config file')
    parser.add_argument(
        'checkpoint',
        nargs='?',
        default=None,
        help='checkpoint (omit for random weights, e.g. to benchmark)')
    parser.add_argument(
        '--output-file', required=True, help='the .onnx file to write')
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
        default=18,
        help='ONNX opset (>= 17; default 18, native for dynamo)')
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


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.checkpoint and not os.path.isfile(args.checkpoint):
        print(
            f'error: checkpoint not found: {args.checkpoint}', file=sys.stderr)
        return 2
    if args.opset < 17:
        print(
            f'error: --opset must be >= 17, got {args.opset}', file=sys.stderr)
        return 2
    out_dir = os.path.dirname(os.path.abspath(args.output_file))
    if not os.path.isdir(out_dir):
        print(
            f'error: output directory does not exist: {out_dir}',
            file=sys.stderr)
        return 2

    from levitpose.deploy import (check_onnx, default_input_shape, export_onnx,
                                  load_deploy_model, preprocessor_metadata,
                                  resolve_config)
    try:
        resolve_config(args.config)
    except FileNotFoundError as err:
        print(f'error: {err}', file=sys.stderr)
        return 2
    try:
        model = load_deploy_model(args.config, args.checkpoint)
        shape = tuple(args.input_shape or default_input_shape(model.cfg))
        export_onnx(
            model,
            args.output_file,
            shape,
            opset=args.opset,
            exporter=args.exporter,
            metadata=preprocessor_metadata(model.cfg))
    except ValueError as err:
        print(f'error: {err}', file=sys.stderr)
        return 2
    size_mb = os.path.getsize(args.output_file) / 2**20
    print(f'exported {args.output_file} ({size_mb:.2f} MiB, opset '
          f'{args.opset}, {args.exporter}, input {shape}, dynamic batch)')
    if args.skip_check:
        return 0
    diffs = check_onnx(args.output_file, model, shape, batch_sizes=(1, 2))
    for batch, diff in diffs.items():
        print(f'max |onnxruntime - pytorch| heatmap difference at batch '
              f'{batch}: {diff["max_abs_diff"]:.3e} (max |heatmap| '
              f'{diff["max_abs_output"]:.3e})')
    if max(d['max_abs_diff'] for d in diffs.values()) > TOLERANCE:
        print(f'error: difference exceeds {TOLERANCE:g}', file=sys.stderr)
        return 1
    print(f'parity check passed (<= {TOLERANCE:g})')
    return 0


if __name__ == '__main__':
    sys.exit(main())
