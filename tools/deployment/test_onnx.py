"""Evaluate an ONNX model (fp32 or int8) on a config's test set through
``levitpose_lite``, with the config's evaluator, as ``tools/test.py`` does
for a PyTorch checkpoint.

Example::

    python tools/deployment/test_onnx.py \\
        configs/quickstart/levitpose-t_sample-coco-256x256.py \\
        work_dirs/levitpose-t_coco_int8.onnx --backend openvino

Prints one ``name: value`` line per metric (``coco/AP: 0.912345``), the
metric names of ``tools/test.py``. Exit status: 0, 2 (bad command line,
missing file), 1 (a model, config or data set that cannot be used).
"""
import argparse
import os
import sys

BACKENDS = ('onnxruntime', 'openvino')
OUT_FORMATS = ('.json', '.yaml', '.yml', '.pkl', '.pickle')


class _Parser(argparse.ArgumentParser):

    def error(self, message: str) -> None:
        self.exit(2, f'error: {message} (see --help)\n')


def parse_args(argv=None) -> argparse.Namespace:
    from mmengine.config import DictAction
    parser = _Parser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='test config file path')
    parser.add_argument('model', help='the .onnx file (fp32 or int8)')
    parser.add_argument(
        '--backend',
        default='onnxruntime',
        choices=BACKENDS,
        help='inference runtime (default: onnxruntime; openvino needs '
        '`pip install openvino`)')
    parser.add_argument(
        '--threads',
        type=int,
        default=None,
        help='inference threads (default: the runtime\'s choice)')
    parser.add_argument(
        '--out', help='write the metrics to this .json/.yaml/.pkl file')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, as in tools/test.py')
    return parser.parse_args(argv)


def _fail(message: str, code: int) -> int:
    print(f'error: {message}', file=sys.stderr)
    return code


def _bbox_padding(cfg) -> float:
    """The ``GetBBoxCenterScale`` padding of the config's test pipeline."""
    from levitpose_lite import BBOX_PADDING
    for step in cfg.test_dataloader.dataset.get('pipeline', []):
        if step.get('type') == 'GetBBoxCenterScale':
            return float(step.get('padding', BBOX_PADDING))
    return BBOX_PADDING


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.threads is not None and args.threads < 1:
        return _fail(f'--threads must be >= 1, got {args.threads}', 2)
    if args.out and not args.out.endswith(OUT_FORMATS):
        return _fail(
            f'--out must end with one of {OUT_FORMATS}, got '
            f'{args.out}', 2)
    if not os.path.isfile(args.model):
        return _fail(f'ONNX model not found: {args.model}', 2)

    import mmengine
    from mmengine.config import Config

    from levitpose.deploy import resolve_config
    from levitpose.deploy.onnx_eval import evaluate_onnx
    from levitpose_lite import TopDownPoseONNX
    try:
        cfg = Config.fromfile(resolve_config(args.config))
    except FileNotFoundError as err:
        return _fail(str(err), 2)
    except (SyntaxError, ImportError, KeyError, ValueError) as err:
        return _fail(f'cannot load config {args.config}: {err}', 1)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    codec = cfg.get('codec') or cfg.model.head.get('decoder', {})
    if 'test_dataloader' not in cfg or 'test_evaluator' not in cfg:
        return _fail(f'{args.config} has no test_dataloader/test_evaluator', 1)
    if cfg.model.get('test_cfg', {}).get('flip_test', False):
        print('note: the config sets flip_test=True; levitpose_lite does '
              'not flip, so compare with tools/test.py under '
              '--cfg-options model.test_cfg.flip_test=False')
    try:
        pose = TopDownPoseONNX(
            args.model,
            input_size=codec.get('input_size'),
            num_threads=args.threads,
            padding=_bbox_padding(cfg),
            backend=args.backend)
        print(f'evaluating {args.model} with {args.backend} on the test set '
              f'of {args.config}')
        metrics = evaluate_onnx(cfg, pose)
    except (ImportError, FileNotFoundError, ValueError, KeyError) as err:
        message = str(err).strip().splitlines()
        return _fail(message[0] if message else type(err).__name__, 1)
    for name, value in metrics.items():
        print(f'{name}: {value:.6f}')
    if args.out:
        mmengine.mkdir_or_exist(os.path.dirname(os.path.abspath(args.out)))
        mmengine.dump(dict(metrics), args.out)
    return 0


if __name__ == '__main__':
    sys.exit(main())
