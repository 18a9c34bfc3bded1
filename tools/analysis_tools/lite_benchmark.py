"""Latency of the torch-free runtime ``levitpose_lite`` end to end (crop +
one inference call + decode), per crop and per frame of several people,
for several ONNX models (fp32 or int8) and backends (ONNX Runtime,
OpenVINO), timed round-robin in one process.

The process imports no torch or mm* package (it checks), so the peak
resident set size (RSS) it reports is the lite runtime's own. The timing
is :mod:`levitpose_lite.latency`'s: round-robin, one crop and one frame per
(model, backend) and round.

Example::

    python tools/analysis_tools/lite_benchmark.py \\
        LEViTPose-T=work_dirs/levitpose-t_coco.onnx \\
        LEViTPose-T=work_dirs/levitpose-t_coco_int8.onnx \\
        --backend onnxruntime openvino --image person.jpg \\
        --bbox 10 20 200 400 --bbox 220 20 400 400 --out-dir work_dirs/lite

A model may be a SimCC export (``tools/deployment/export_simcc_onnx.py``,
RTMPose), which ``levitpose_lite`` decodes as MMPose's ``get_simcc_maximum``.
Errors: one ``error:`` line, exit status 2 (usage) or 1 (a missing or
unusable model or image).
"""
import argparse
import functools
import os
import sys
from typing import Tuple

from levitpose_lite.backends import BACKENDS
from levitpose_lite.cli import ToolParser, check_least, run_tool
from levitpose_lite.errors import (InvalidInputError, UsageError, check_file,
                                   first_line)


def parse_args(argv=None) -> argparse.Namespace:
    parser = ToolParser(
        description='levitpose_lite latency per crop and per frame, '
        'several models and backends in one round-robin run.')
    parser.add_argument(
        'models',
        nargs='+',
        metavar='[LABEL=]MODEL.onnx',
        help='ONNX files (fp32, int8 from quantize_onnx.py, or SimCC); the '
        'label defaults to the file name; fp32/int8 is read from the file')
    parser.add_argument('--image', required=True, help='a BGR image file')
    parser.add_argument(
        '--bbox',
        type=float,
        nargs=4,
        action='append',
        metavar=('X1', 'Y1', 'X2', 'Y2'),
        help='a person box (repeatable); default: the whole image')
    parser.add_argument(
        '--backend',
        nargs='+',
        default=['onnxruntime'],
        choices=BACKENDS,
        help='one or both runtimes (default: onnxruntime)')
    parser.add_argument(
        '--bf16',
        action='store_true',
        help='also run each fp32 model in OpenVINO with its float layers in '
        'bfloat16 (rows "bf16"; needs openvino in --backend and a CPU with '
        'bfloat16)')
    parser.add_argument(
        '--frame-size',
        type=int,
        default=None,
        help='people per frame (boxes are cycled; default: the number of '
        '--bbox)')
    parser.add_argument(
        '--max-batch-size',
        type=int,
        default=None,
        help='TopDownPoseONNX max_batch_size: most crops per inference call')
    parser.add_argument(
        '--threads', type=int, default=2, help='inference threads (2)')
    parser.add_argument(
        '--rounds', type=int, default=20, help='timed rounds (default 20)')
    parser.add_argument(
        '--warmup', type=int, default=5, help='untimed rounds first (5)')
    parser.add_argument(
        '--reference',
        default=None,
        metavar='LABEL:PRECISION:BACKEND',
        help='the row speedup_vs_ref divides by, e.g. '
        'RTMPose-t:fp32:onnxruntime (default: the first row)')
    parser.add_argument(
        '--out-dir',
        default=None,
        help='write lite_benchmark.{md,csv,png} there')
    return parser.parse_args(argv)


def _parse_model(spec: str) -> Tuple[str, str]:
    label, sep, path = spec.partition('=')
    if not sep:
        path, label = spec, os.path.splitext(os.path.basename(spec))[0]
    return label, path


def _check_args(args) -> None:
    """Raise the first problem of ``args``: usage (2) or a path (1)."""
    check_least(args, (('--threads', 1), ('--rounds', 2), ('--warmup', 0),
                       ('--frame-size', 1), ('--max-batch-size', 1)))
    if args.bf16 and 'openvino' not in args.backend:
        raise UsageError('--bf16 runs models in OpenVINO: add openvino to '
                         '--backend')
    for spec in args.models:
        check_file(_parse_model(spec)[1], 'ONNX model')
    check_file(args.image, 'image')


def benchmark(args: argparse.Namespace) -> int:
    """Time every model x backend, print (and write) the table; 1 if a
    heavy package was imported, else 0."""
    _check_args(args)
    import cv2
    import numpy as np

    from levitpose_lite import latency
    from levitpose_lite.preprocess import check_boxes
    image = cv2.imread(args.image)
    if image is None:
        raise InvalidInputError(f'cannot read image {args.image}')
    h, w = image.shape[:2]
    try:
        boxes = check_boxes(np.array(args.bbox or [[0, 0, w, h]]))
    except ValueError as err:
        raise InvalidInputError(str(err)) from err
    try:
        if args.out_dir:
            os.makedirs(args.out_dir, exist_ok=True)
    except OSError as err:
        raise InvalidInputError(
            f'--out-dir {args.out_dir}: {err.strerror}') from err
    frame_size = args.frame_size or len(boxes)
    frame = boxes[np.arange(frame_size) % len(boxes)]
    try:
        runners = latency.build_runners(
            [_parse_model(spec) for spec in args.models], args.backend,
            args.threads, args.max_batch_size, args.bf16)
    except (FileNotFoundError, ValueError, ImportError) as err:
        raise InvalidInputError(first_line(err)) from err
    keys = [key for key, _ in runners]
    reference = keys[0]
    if args.reference:
        reference = tuple(args.reference.split(':'))
        if reference not in keys:
            raise UsageError(f'--reference {args.reference} is not a row; '
                             f'rows: {[":".join(k) for k in keys]}')
    rss_loaded = latency.peak_rss_mb()
    times = latency.time_rounds(runners, image, boxes, frame, args.rounds,
                                args.warmup)
    rows = latency.summarize(times, reference, {
        key: pose.input_size
        for key, pose in runners
    })
    heavy = latency.heavy_modules()
    header = (f'{len(runners)} (model, backend) pairs, {args.rounds} rounds '
              f'after {args.warmup} warm-up, {args.threads} threads; crop: '
              f'1 person, frame: {frame_size} people in one call; '
              f'reference: {":".join(reference)}')
    print(header)
    print(latency.format_table(rows))
    print(f'peak RSS: {latency.peak_rss_mb():.1f} MiB (after loading the '
          f'models: {rss_loaded:.1f} MiB)')
    print(f'heavy modules imported: {", ".join(heavy) or "none"}')
    if args.out_dir:
        for path in latency.write_outputs(rows, args.out_dir, header):
            print(f'wrote {path}')
    return 1 if heavy else 0


def main(argv=None) -> int:
    return run_tool(functools.partial(benchmark, parse_args(argv)))


if __name__ == '__main__':
    sys.exit(main())
