"""Where a top-down pose model spends its CPU time, per operator.

Profiles one model in one backend and prints a Markdown table: milliseconds
per forward pass, share and calls of each operator type (PyTorch: ATen
operators, self time, from ``torch.profiler``; ONNX Runtime: kernel time
per ONNX operator after ONNX Runtime's own fusions, from its session
profile).

Examples::

    # the PyTorch inference form (deployed, traced and frozen)
    python tools/analysis_tools/profile_model.py \\
        configs/body_2d_keypoint/topdown_heatmap/mpii/\\
td-hm_levitpose-t_8xb64-210e_mpii-256x256.py --backend jit

    # ONNX Runtime, on the graph pytorch2onnx.py exports
    python tools/analysis_tools/profile_model.py <config> \\
        --backend onnxruntime --threads 2 --runs 20
"""
import argparse
import functools
import os
import sys
import tempfile

from levitpose.cli import ToolParser, add_int_options, check_least, run_tool
from levitpose.cli.shared_args import TORCH_BACKENDS, add_input_shape
from levitpose.utils import MissingFileError, UsageError

#: Integer options that must be at least 1: ``(flag, default, help)``.
COUNTS = (('--batch', 1, 'batch size (default 1)'),
          ('--threads', 2, 'CPU threads (default 2)'),
          ('--runs', 10, 'profiled forwards (default 10)'),
          ('--top', 25, 'operators listed (default 25)'))


def parse_args(argv=None) -> argparse.Namespace:
    """Parse the command line (a bad one exits 2 with one line)."""
    parser = ToolParser(
        description='Per-operator CPU time of a top-down pose model.')
    parser.add_argument('config', help='config file path (or mmpose::name)')
    parser.add_argument(
        '--checkpoint', help='checkpoint (default: random weights)')
    parser.add_argument(
        '--backend',
        default='jit',
        choices=TORCH_BACKENDS,
        help='eager (training graph), deploy (fused), jit (fused, traced, '
        'frozen), compile (fused, torch.compile) or onnxruntime (default: '
        'jit)')
    add_input_shape(parser)
    add_int_options(parser, COUNTS)
    return parser.parse_args(argv)


def check_args(args: argparse.Namespace) -> None:
    """Refuse values no run could use (one line, exit 2) and a missing
    checkpoint (exit 1), before any model is built."""
    check_least(args, ((flag, 1) for flag, _, _ in COUNTS))
    if args.input_shape and min(args.input_shape) < 16:
        raise UsageError(f'--input-shape must be >= 16, got '
                         f'{args.input_shape}')
    if args.checkpoint and not os.path.isfile(args.checkpoint):
        what = ('is not a file'
                if os.path.exists(args.checkpoint) else 'does not exist')
        raise MissingFileError(f'checkpoint {args.checkpoint} {what}')


def profile(args: argparse.Namespace) -> None:
    """Build the model, profile it, print the table."""
    check_args(args)
    import torch

    from levitpose.apis import init_pose_model
    from levitpose.deploy import (TensorExportWrapper, default_input_shape,
                                  export_onnx, optimize_for_cpu)
    from levitpose.deploy.profiling import (format_table, profile_onnxruntime,
                                            profile_torch)
    torch.set_num_threads(args.threads)
    model = init_pose_model(args.config, args.checkpoint).eval()
    shape = default_input_shape(model.cfg)
    if args.input_shape:
        shape = (1, 3, *args.input_shape)
    shape = (args.batch, *shape[1:])
    if args.backend == 'onnxruntime':
        with tempfile.TemporaryDirectory() as tmp:
            onnx_file = os.path.join(tmp, 'model.onnx')
            fused = optimize_for_cpu(model, shape, mode='deploy').estimator
            export_onnx(fused, onnx_file, shape, heatmaps=False)
            rows = profile_onnxruntime(
                onnx_file, shape, args.runs, threads=args.threads)
    else:
        if args.backend == 'eager':
            run_model = TensorExportWrapper(model)
        else:
            run_model = optimize_for_cpu(model, shape, mode=args.backend)
        x = torch.rand(*shape)
        rows = profile_torch(lambda: run_model(x), args.runs)
    print(f'{args.config} [{args.backend}], input {tuple(shape)}, '
          f'{args.threads} threads, {args.runs} forwards profiled')
    print(format_table(rows, args.top))


def main(argv=None) -> int:
    """Run the tool; returns the exit status."""
    return run_tool(functools.partial(profile, parse_args(argv)))


if __name__ == '__main__':
    sys.exit(main())
