"""End-to-end latency and peak memory of the torch-free runtime
``levitpose_lite`` (crop + one ONNX Runtime call + decode).

Runs in a process that imports no torch or mm* package (it checks), so the
reported peak resident set size (RSS) is the lite runtime's own.

Example::

    python tools/analysis_tools/lite_benchmark.py levitpose-t.onnx \\
        --image person.jpg --bbox 10 20 200 400 --num-crops 100
"""
import argparse
import resource
import statistics
import sys
import time

HEAVY_MODULES = ('torch', 'mmcv', 'mmengine', 'mmpose', 'mmdet')


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='levitpose_lite end-to-end latency per person and '
        'peak RSS.')
    parser.add_argument('onnx', help='ONNX model from pytorch2onnx.py')
    parser.add_argument('--image', required=True, help='a BGR image file')
    parser.add_argument(
        '--bbox',
        type=float,
        nargs=4,
        action='append',
        metavar=('X1', 'Y1', 'X2', 'Y2'),
        help='a person box (repeatable); default: the whole image')
    parser.add_argument(
        '--num-crops',
        type=int,
        default=100,
        help='persons to process in total (boxes are cycled; default 100)')
    parser.add_argument(
        '--batch',
        type=int,
        default=1,
        help='persons per call (default 1: per-person latency)')
    parser.add_argument(
        '--max-batch-size',
        type=int,
        default=None,
        help='TopDownPoseONNX max_batch_size: most crops per session.run')
    parser.add_argument(
        '--threads', type=int, default=2, help='ONNX Runtime threads')
    parser.add_argument(
        '--warmup', type=int, default=5, help='untimed calls first')
    return parser.parse_args(argv)


def peak_rss_mb() -> float:
    """Peak resident set size of this process in MiB (Linux: KiB units)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.


def main(argv=None) -> int:
    args = parse_args(argv)
    for name, value in (('--num-crops', args.num_crops),
                        ('--batch', args.batch), ('--threads', args.threads)):
        if value < 1:
            print(f'error: {name} must be >= 1, got {value}', file=sys.stderr)
            return 2
    import cv2
    import numpy as np

    from levitpose_lite import TopDownPoseONNX
    image = cv2.imread(args.image)
    if image is None:
        print(f'error: cannot read image {args.image}', file=sys.stderr)
        return 2
    try:
        pose = TopDownPoseONNX(
            args.onnx,
            num_threads=args.threads,
            max_batch_size=args.max_batch_size)
    except (FileNotFoundError, ValueError, ImportError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 2
    h, w = image.shape[:2]
    boxes = np.array(args.bbox or [[0, 0, w, h]], dtype=np.float32)
    rss_before = peak_rss_mb()
    for _ in range(args.warmup):
        pose(image, boxes[:1])
    calls, done = [], 0
    while done < args.num_crops:
        n = min(args.batch, args.num_crops - done)
        batch = boxes[np.arange(done, done + n) % len(boxes)]
        start = time.perf_counter()
        keypoints, _ = pose(image, batch)
        calls.append((time.perf_counter() - start, n))
        done += n
    per_person = [1000 * t / n for t, n in calls]
    heavy = sorted({
        m.split('.')[0]
        for m in sys.modules if m.split('.')[0] in HEAVY_MODULES
    })
    print(f'model: {args.onnx} (input w,h = {pose.input_size}, '
          f'{keypoints.shape[1]} keypoints)')
    print(f'crops: {done} in {len(calls)} calls of up to {args.batch}, '
          f'{args.threads} ORT threads')
    print(f'end-to-end latency per person: median '
          f'{statistics.median(per_person):.2f} ms, min '
          f'{min(per_person):.2f} ms, max {max(per_person):.2f} ms')
    print(f'peak RSS: {peak_rss_mb():.1f} MiB (after model load: '
          f'{rss_before:.1f} MiB)')
    print(f'heavy modules imported: {heavy or "none"}')
    return 1 if heavy else 0


if __name__ == '__main__':
    sys.exit(main())
