"""Quantise an exported ONNX model to int8 (ONNX Runtime static
quantisation), calibrated on real person crops made as levitpose_lite makes
them, then check that the int8 model loads, runs and agrees with fp32.

Example::

    python tools/deployment/quantize_onnx.py work_dirs/levitpose-t_coco.onnx \\
        --calib-dir data/sample-coco/images \\
        --ann-file data/sample-coco/annotations/person_keypoints_sample.json \\
        --output-file work_dirs/levitpose-t_coco_int8.onnx

Boxes come from ``--ann-file``: COCO keypoint annotations (the annotated
persons) or a COCO detection result list (a detector's boxes, e.g.
``data/sample-coco/person_detection_results/...json``); without it each
whole image is one box. The settings (format, activation/weight types,
``reduce_range``) follow ONNX Runtime's guidance for this CPU and are
printed. Errors: one ``error:`` line, exit status 2 (usage) or 1 (a missing
or unusable model or data, or an int8 model that fails its check).
"""
import argparse
import functools
import os
import sys

from levitpose_lite.cli import ToolParser, run_tool
from levitpose_lite.errors import (InvalidInputError, ToolError, UsageError,
                                   check_file, first_line)

#: Least share of keypoints whose int8 heatmap maximum must lie within one
#: heatmap pixel of fp32's on the calibration crops (``--min-agreement``).
MIN_AGREEMENT = 0.9


def parse_args(argv=None) -> argparse.Namespace:
    from levitpose_lite.quantize import (CALIBRATE_METHODS, QUANT_FORMATS,
                                         QUANT_SCOPES)
    parser = ToolParser(description=__doc__.split('\n')[0])
    parser.add_argument('model', help='the fp32 .onnx file (pytorch2onnx.py)')
    parser.add_argument(
        '--calib-dir', required=True, help='folder of calibration images')
    parser.add_argument(
        '--output-file', required=True, help='the int8 .onnx file to write')
    parser.add_argument(
        '--ann-file',
        default=None,
        help='person boxes: COCO keypoint annotations or a COCO detection '
        'list (default: each whole image is one box)')
    parser.add_argument(
        '--det-score-thr',
        type=float,
        default=0.3,
        help='lowest detection score kept from a detection list (0.3)')
    parser.add_argument(
        '--max-crops',
        type=int,
        default=256,
        help='most calibration crops (default 256)')
    parser.add_argument(
        '--quant-format',
        default='QDQ',
        choices=QUANT_FORMATS,
        help='QDQ (default; ONNX Runtime\'s CPU kernels and OpenVINO '
        'prefer it) or QOperator')
    parser.add_argument(
        '--scope',
        default=QUANT_SCOPES[0],
        choices=QUANT_SCOPES,
        help='which layers become int8: dense-conv (default; convolutions '
        'with one group, where int8 pays) or conv-matmul (every Conv, '
        'MatMul and Gemm)')
    parser.add_argument(
        '--reduce-range',
        default='auto',
        choices=('auto', 'on', 'off'),
        help='7-bit weights: auto (default) = on for x86-64 CPUs without '
        'VNNI')
    parser.add_argument(
        '--per-tensor',
        action='store_true',
        help='one weight scale per tensor instead of per channel')
    parser.add_argument(
        '--calibrate-method',
        default='minmax',
        choices=sorted(CALIBRATE_METHODS),
        help='activation range calibration (default minmax)')
    parser.add_argument(
        '--min-agreement',
        type=float,
        default=MIN_AGREEMENT,
        help='fail when fewer keypoints than this share keep their fp32 '
        f'heatmap maximum within 1 pixel (default {MIN_AGREEMENT})')
    return parser.parse_args(argv)


def _check_args(args) -> None:
    """Raise the first problem of ``args``: usage (2) or a path (1)."""
    out_dir = os.path.dirname(os.path.abspath(args.output_file))
    if not os.path.isdir(out_dir):
        raise UsageError(f'--output-file: the folder {out_dir} does not exist')
    if os.path.abspath(args.output_file) == os.path.abspath(args.model):
        raise UsageError('--output-file must differ from the input model')
    if args.max_crops < 1:
        raise UsageError(f'--max-crops must be >= 1, got {args.max_crops}')
    if not 0. <= args.min_agreement <= 1.:
        raise UsageError('--min-agreement must be in [0, 1], got '
                         f'{args.min_agreement}')
    check_file(args.model, 'ONNX model')
    if not os.path.isdir(args.calib_dir):
        raise InvalidInputError(f'--calib-dir {args.calib_dir} is not a '
                                'folder')
    if args.ann_file:
        check_file(args.ann_file, '--ann-file')


def quantize(args: argparse.Namespace) -> None:
    """Calibrate, quantise, check the int8 model against fp32."""
    _check_args(args)
    import json

    import numpy as np

    from levitpose_lite import TopDownPoseONNX
    from levitpose_lite.quantize import (argmax_agreement, calibration_crops,
                                         int8_settings, load_calibration_boxes,
                                         quantize_model)
    reduce_range = {'auto': None, 'on': True, 'off': False}[args.reduce_range]
    settings = int8_settings(
        quant_format=args.quant_format,
        reduce_range=reduce_range,
        per_channel=not args.per_tensor)
    try:
        fp32 = TopDownPoseONNX(args.model)
        boxes = (
            load_calibration_boxes(args.ann_file, args.det_score_thr)
            if args.ann_file else None)
        crops = calibration_crops(fp32, args.calib_dir, boxes, args.max_crops)
    except json.JSONDecodeError as err:
        raise InvalidInputError(f'--ann-file is not JSON: {err}') from err
    except (ImportError, ValueError, KeyError, TypeError) as err:
        raise InvalidInputError(first_line(err)) from err
    print(f'int8 settings: {settings.describe()}; scope {args.scope}')
    print(f'calibrating on {len(crops)} person crops from {args.calib_dir}')
    try:
        quantize_model(args.model, args.output_file, crops, settings,
                       args.calibrate_method, args.scope)
        int8 = TopDownPoseONNX(args.output_file)
    except (ImportError, ValueError, RuntimeError) as err:
        raise ToolError(
            f'quantisation failed: {first_line(err)[:300]}') from err
    batch = np.concatenate(crops)
    agreement = argmax_agreement(
        fp32.session.run(batch)[0],
        int8.session.run(batch)[0])
    size = os.path.getsize(args.output_file) / 2**20
    print(f'wrote {args.output_file} ({size:.2f} MiB, from '
          f'{os.path.getsize(args.model) / 2**20:.2f} MiB); it loads and '
          f'runs in ONNX Runtime')
    print(f'heatmap maxima within 1 px of fp32 on the {len(crops)} '
          f'calibration crops: {100 * agreement:.1f}% of keypoints')
    if agreement < args.min_agreement:
        raise ToolError(f'int8 agreement {agreement:.3f} is below '
                        f'--min-agreement {args.min_agreement}')


def main(argv=None) -> int:
    return run_tool(functools.partial(quantize, parse_args(argv)))


if __name__ == '__main__':
    sys.exit(main())
