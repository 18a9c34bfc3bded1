"""Latency of the torch-free runtime ``levitpose_lite`` end to end (crop +
one inference call + decode), per crop and per frame of several people,
for several ONNX models (fp32 or int8) and backends (ONNX Runtime,
OpenVINO), timed round-robin in one process.

The process imports no torch or mm* package (it checks), so the peak
resident set size (RSS) it reports is the lite runtime's own. Every round
times each (model, backend) once on one crop and once on one frame, so load
from other processes hits all alike; ratios are the medians of per-round
ratios. ONNX Runtime threads do not spin between calls here, which would
steal cores from the other runtimes.

Example::

    python tools/analysis_tools/lite_benchmark.py \\
        LEViTPose-T=work_dirs/levitpose-t_coco.onnx \\
        LEViTPose-T=work_dirs/levitpose-t_coco_int8.onnx \\
        --backend onnxruntime openvino --image person.jpg \\
        --bbox 10 20 200 400 --bbox 220 20 400 400 --out-dir work_dirs/lite

A model may be a SimCC export (``tools/deployment/export_simcc_onnx.py``,
RTMPose), decoded here as MMPose's ``get_simcc_maximum`` does.
"""
import argparse
import csv
import json
import os
import resource
import statistics
import sys
import time
from typing import Callable, Dict, List, Tuple

from levitpose_lite.cli import ToolParser

HEAVY_MODULES = ('torch', 'mmcv', 'mmengine', 'mmpose', 'mmdet')
BACKENDS = ('onnxruntime', 'openvino')
COLUMNS = ('model', 'precision', 'backend', 'input', 'crop_ms', 'crop_iqr_ms',
           'frame_ms', 'frame_iqr_ms', 'speedup_vs_fp32', 'speedup_vs_ref')


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


def peak_rss_mb() -> float:
    """Peak resident set size of this process in MiB (Linux: KiB units)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.


def _fail(message: str, code: int) -> int:
    print(f'error: {message}', file=sys.stderr)
    return code


class SimCCPose:
    """``levitpose_lite``'s crop and session with a SimCC decoder, to time
    RTMPose exports of ``export_simcc_onnx.py`` like the heatmap models.

    The decoding is MMPose's ``get_simcc_maximum``: the arg-max of each
    vector (-1 where the score is not positive) divided by
    ``simcc_split_ratio``; the score is the lower of the two maxima.
    """

    def __init__(self, model_path: str, backend: str, num_threads: int):
        from levitpose_lite import BBOX_PADDING, create_session
        self.session = create_session(
            model_path, backend, num_threads=num_threads, spinning=False)
        meta = self.session.metadata
        self.split = int(meta['simcc_split'])
        self.ratio = float(meta['simcc_split_ratio'])
        _, _, h, w = self.session.input_shape
        self.input_size = (w, h)
        self.mean = json.loads(meta['mean'])
        self.std = json.loads(meta['std'])
        self.bgr_to_rgb = json.loads(meta['bgr_to_rgb'])
        self.padding = BBOX_PADDING

    def __call__(self, image, bboxes):
        import numpy as np

        from levitpose_lite import crop_boxes, keypoints_to_image
        batch, centers, scales = crop_boxes(image, bboxes, self.input_size,
                                            self.padding, self.mean, self.std,
                                            self.bgr_to_rgb)
        joined = self.session.run(batch)[0][:, :, 0]  # (N, K, Wx + Wy)
        simcc_x, simcc_y = joined[..., :self.split], joined[..., self.split:]
        locs = np.stack([simcc_x.argmax(-1),
                         simcc_y.argmax(-1)], axis=-1).astype(np.float32)
        scores = np.minimum(simcc_x.max(-1), simcc_y.max(-1))
        locs[scores <= 0] = -1
        keypoints = keypoints_to_image(locs / np.float32(self.ratio), centers,
                                       scales, self.input_size)
        return keypoints, scores


def _parse_model(spec: str) -> Tuple[str, str]:
    label, sep, path = spec.partition('=')
    if not sep:
        path, label = spec, os.path.splitext(os.path.basename(spec))[0]
    return label, path


def _precision(metadata: Dict[str, str]) -> str:
    if 'precision' not in metadata:
        return 'fp32'
    return json.loads(metadata['precision']).get('precision', 'int8')


def build_runners(args) -> List[Tuple[Tuple[str, str, str], Callable]]:
    """``((label, precision, backend), pose)`` for every model x backend."""
    from levitpose_lite import TopDownPoseONNX
    from levitpose_lite.backends import create_session
    runners = []
    for spec in args.models:
        label, path = _parse_model(spec)
        meta = create_session(path, 'onnxruntime').metadata
        for backend in args.backend:
            if meta.get('decoder') == 'simcc':
                pose = SimCCPose(path, backend, args.threads)
            else:
                pose = TopDownPoseONNX(
                    path,
                    num_threads=args.threads,
                    max_batch_size=args.max_batch_size,
                    backend=backend,
                    spinning=False)
            key = (label, _precision(meta), backend)
            if any(key == k for k, _ in runners):
                raise ValueError(f'two models are {key}: give them '
                                 'distinct labels (LABEL=MODEL.onnx)')
            runners.append((key, pose))
    return runners


def time_rounds(runners, image, boxes, frame, rounds: int,
                warmup: int) -> Dict[tuple, Dict[str, List[float]]]:
    """Round-robin: per round and runner, one crop call, one frame call."""
    times = {key: dict(crop=[], frame=[]) for key, _ in runners}
    for i in range(warmup + rounds):
        crop = boxes[i % len(boxes)][None]
        for key, pose in runners:
            for kind, batch in (('crop', crop), ('frame', frame)):
                start = time.perf_counter()
                pose(image, batch)
                elapsed = 1000 * (time.perf_counter() - start)
                if i >= warmup:
                    times[key][kind].append(elapsed)
    return times


def _iqr(values: List[float]) -> float:
    q = statistics.quantiles(values, n=4)
    return q[2] - q[0]


def _paired_speedup(reference: List[float], row: List[float]) -> float:
    return statistics.median(r / t for r, t in zip(reference, row))


def summarize(times, reference, sizes) -> List[dict]:
    """One row per (model, precision, backend), in run order; ``sizes``
    maps each to its model input ``(w, h)``."""
    rows = []
    for key, t in times.items():
        label, precision, backend = key
        fp32 = times.get((label, 'fp32', backend))
        rows.append(
            dict(
                model=label,
                precision=precision,
                backend=backend,
                input='{1}x{0}'.format(*sizes[key]),
                crop_ms=statistics.median(t['crop']),
                crop_iqr_ms=_iqr(t['crop']),
                frame_ms=statistics.median(t['frame']),
                frame_iqr_ms=_iqr(t['frame']),
                speedup_vs_fp32=(_paired_speedup(fp32['crop'], t['crop'])
                                 if fp32 and precision != 'fp32' else None),
                speedup_vs_ref=_paired_speedup(times[reference]['crop'],
                                               t['crop'])))
    return rows


def _cell(value) -> str:
    if value is None:
        return ''
    return f'{value:.2f}' if isinstance(value, float) else str(value)


def write_outputs(rows, out_dir: str, header: str) -> List[str]:
    """``lite_benchmark.md`` and ``.csv`` (and ``.png`` with matplotlib)."""
    os.makedirs(out_dir, exist_ok=True)
    written = []
    path = os.path.join(out_dir, 'lite_benchmark.csv')
    with open(path, 'w', newline='', encoding='utf-8') as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows({k: _cell(v) for k, v in row.items()} for row in rows)
    written.append(path)
    path = os.path.join(out_dir, 'lite_benchmark.md')
    with open(path, 'w', encoding='utf-8') as f:
        f.write(header + '\n\n' + format_table(rows) + '\n')
    written.append(path)
    try:
        import matplotlib
        matplotlib.use('Agg')
        import matplotlib.pyplot as plt
    except ImportError:
        print('note: matplotlib is not installed: no plot')
        return written
    labels = [f'{r["model"]} {r["precision"]}\n{r["backend"]}' for r in rows]
    fig, ax = plt.subplots(figsize=(max(6, 0.9 * len(rows)), 4))
    ax.bar(
        range(len(rows)), [r['crop_ms'] for r in rows],
        yerr=[r['crop_iqr_ms'] / 2 for r in rows],
        color=[
            'tab:orange' if r['precision'] == 'int8' else 'tab:blue'
            for r in rows
        ])
    ax.set_xticks(range(len(rows)))
    ax.set_xticklabels(labels, rotation=60, ha='right', fontsize=7)
    ax.set_ylabel('ms per crop (median, end to end)')
    ax.set_title('levitpose_lite latency per crop (bars: IQR)')
    fig.tight_layout()
    path = os.path.join(out_dir, 'lite_benchmark.png')
    fig.savefig(path, dpi=120)
    plt.close(fig)
    written.append(path)
    return written


def format_table(rows) -> str:
    """The rows as a Markdown table."""
    head = ('| model | precision | backend | input (HxW) | ms per crop (IQR) '
            '| ms per frame (IQR) | × vs fp32 | × vs reference |')
    lines = [head, '|---|---|---|---|---:|---:|---:|---:|']
    for r in rows:
        lines.append(f'| {r["model"]} | {r["precision"]} | {r["backend"]} | '
                     f'{r["input"]} | '
                     f'{r["crop_ms"]:.2f} ({r["crop_iqr_ms"]:.2f}) | '
                     f'{r["frame_ms"]:.2f} ({r["frame_iqr_ms"]:.2f}) | '
                     f'{_cell(r["speedup_vs_fp32"])} | '
                     f'{r["speedup_vs_ref"]:.2f} |')
    return '\n'.join(lines)


def _check_args(args) -> Tuple[str, int]:
    """The first problem of ``args`` and its exit status, or ``('', 0)``:
    2 for the command line itself, 1 for a path that names nothing."""
    for name, value, least in (('--threads', args.threads,
                                1), ('--rounds', args.rounds,
                                     2), ('--warmup', args.warmup, 0),
                               ('--frame-size', args.frame_size, 1),
                               ('--max-batch-size', args.max_batch_size, 1)):
        if value is not None and value < least:
            return f'{name} must be >= {least}, got {value}', 2
    for spec in args.models:
        path = _parse_model(spec)[1]
        if not os.path.isfile(path):
            return f'ONNX model {path} does not exist', 1
    if not os.path.isfile(args.image):
        return f'image {args.image} does not exist', 1
    return '', 0


def main(argv=None) -> int:
    args = parse_args(argv)
    problem, code = _check_args(args)
    if problem:
        return _fail(problem, code)
    import cv2
    import numpy as np

    from levitpose_lite.preprocess import check_boxes
    image = cv2.imread(args.image)
    if image is None:
        return _fail(f'cannot read image {args.image}', 1)
    h, w = image.shape[:2]
    boxes = np.array(args.bbox or [[0, 0, w, h]], dtype=np.float32)
    try:
        check_boxes(boxes)
    except ValueError as err:
        return _fail(str(err), 1)
    try:
        if args.out_dir:
            os.makedirs(args.out_dir, exist_ok=True)
    except OSError as err:
        return _fail(f'--out-dir {args.out_dir}: {err.strerror}', 1)
    frame_size = args.frame_size or len(boxes)
    frame = boxes[np.arange(frame_size) % len(boxes)]
    try:
        runners = build_runners(args)
    except (FileNotFoundError, ValueError, ImportError, KeyError) as err:
        message = str(err).strip().splitlines()
        return _fail(message[0] if message else type(err).__name__, 1)
    keys = [key for key, _ in runners]
    reference = keys[0]
    if args.reference:
        reference = tuple(args.reference.split(':'))
        if reference not in keys:
            return _fail(
                f'--reference {args.reference} is not a row; rows: '
                f'{[":".join(k) for k in keys]}', 2)
    rss_loaded = peak_rss_mb()
    times = time_rounds(runners, image, boxes, frame, args.rounds, args.warmup)
    rows = summarize(times, reference, {
        key: pose.input_size
        for key, pose in runners
    })
    heavy = sorted({
        m.split('.')[0]
        for m in sys.modules if m.split('.')[0] in HEAVY_MODULES
    })
    header = (f'{len(runners)} (model, backend) pairs, {args.rounds} rounds '
              f'after {args.warmup} warm-up, {args.threads} threads; crop: '
              f'1 person, frame: {frame_size} people in one call; '
              f'reference: {":".join(reference)}')
    print(header)
    print(format_table(rows))
    print(f'peak RSS: {peak_rss_mb():.1f} MiB (after loading the models: '
          f'{rss_loaded:.1f} MiB)')
    print(f'heavy modules imported: {", ".join(heavy) or "none"}')
    if args.out_dir:
        for path in write_outputs(rows, args.out_dir, header):
            print(f'wrote {path}')
    return 1 if heavy else 0


if __name__ == '__main__':
    sys.exit(main())
