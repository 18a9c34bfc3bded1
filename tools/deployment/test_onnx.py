"""Evaluate an ONNX model (fp32 or int8) on a config's test set through
``levitpose_lite``, with the config's evaluator, as ``tools/test.py`` does
for a PyTorch checkpoint.

Example::

    python tools/deployment/test_onnx.py \\
        configs/quickstart/levitpose-t_sample-coco-256x256.py \\
        work_dirs/levitpose-t_coco_int8.onnx --backend openvino

Prints one ``name: value`` line per metric (``coco/AP: 0.912345``), the
metric names of ``tools/test.py``. Errors: one ``error:`` line, exit status
2 (usage) or 1 (a model, config or data set that cannot be used).
"""
import argparse
import functools
import os
import sys

from levitpose.cli import ToolParser, add_cfg_options, check_least, run_tool
from levitpose.cli.runner_args import METRIC_FORMATS
from levitpose.utils import InvalidInputError, UsageError
from levitpose_lite.backends import BACKENDS, PRECISIONS
from levitpose_lite.errors import check_file, first_line


def parse_args(argv=None) -> argparse.Namespace:
    """Parse the command line."""
    parser = ToolParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='test config file path')
    parser.add_argument('model', help='the .onnx file (fp32 or int8)')
    parser.add_argument(
        '--backend',
        default='onnxruntime',
        choices=BACKENDS,
        help='inference runtime (default: onnxruntime; openvino needs '
        '`pip install openvino`)')
    parser.add_argument(
        '--precision',
        default='fp32',
        choices=list(PRECISIONS),
        help='precision of the float layers: fp32 (default), or bf16 with '
        '--backend openvino on a CPU with bfloat16')
    parser.add_argument(
        '--threads',
        type=int,
        default=None,
        help='inference threads (default: the runtime\'s choice)')
    parser.add_argument(
        '--out', help='write the metrics to this .json/.yaml/.pkl file')
    add_cfg_options(parser, 'model.test_cfg.flip_test=False')
    return parser.parse_args(argv)


def _bbox_padding(cfg) -> float:
    """The ``GetBBoxCenterScale`` padding of the config's test pipeline."""
    from levitpose_lite import BBOX_PADDING
    for step in cfg.test_dataloader.dataset.get('pipeline', []):
        if step.get('type') == 'GetBBoxCenterScale':
            return float(step.get('padding', BBOX_PADDING))
    return BBOX_PADDING


def evaluate(args: argparse.Namespace) -> None:
    """Evaluate, print the metrics, optionally write them."""
    check_least(args, (('--threads', 1), ))
    if args.precision == 'bf16' and args.backend != 'openvino':
        raise UsageError('--precision bf16 runs in OpenVINO: add --backend '
                         'openvino')
    if args.out and not args.out.endswith(METRIC_FORMATS):
        raise UsageError(f'--out must end with one of {METRIC_FORMATS}, got '
                         f'{args.out}')
    check_file(args.model, 'ONNX model')
    import mmengine

    from levitpose.deploy.onnx_eval import evaluate_onnx
    from levitpose.utils import load_config
    from levitpose_lite import TopDownPoseONNX
    cfg = load_config(args.config, args.cfg_options)
    if 'test_dataloader' not in cfg or 'test_evaluator' not in cfg:
        raise InvalidInputError(
            f'{args.config} has no test_dataloader/test_evaluator')
    if cfg.model.get('test_cfg', {}).get('flip_test', False):
        print('note: the config sets flip_test=True; levitpose_lite does '
              'not flip, so compare with tools/test.py under '
              '--cfg-options model.test_cfg.flip_test=False')
    codec = cfg.get('codec') or cfg.model.head.get('decoder', {})
    try:
        pose = TopDownPoseONNX(
            args.model,
            input_size=codec.get('input_size'),
            num_threads=args.threads,
            padding=_bbox_padding(cfg),
            backend=args.backend,
            precision=args.precision)
        print(f'evaluating {args.model} with {args.backend} '
              f'({args.precision}) on the test set of {args.config}')
        metrics = evaluate_onnx(cfg, pose)
    except (ImportError, ValueError, KeyError) as err:
        raise InvalidInputError(first_line(err)) from err
    for name, value in metrics.items():
        print(f'{name}: {value:.6f}')
    if args.out:
        mmengine.mkdir_or_exist(os.path.dirname(os.path.abspath(args.out)))
        mmengine.dump(dict(metrics), args.out)


def main(argv=None) -> int:
    """Run the tool; returns the exit status."""
    return run_tool(functools.partial(evaluate, parse_args(argv)))


if __name__ == '__main__':
    sys.exit(main())
