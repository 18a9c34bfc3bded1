"""Latency of the runtime end to end (crop + one inference call + decode),
per crop and per frame of several people, for several models and backends
timed round-robin in one process (``tools/analysis_tools/lite_benchmark.py``).

Every round times each ``(label, precision, backend)`` runner once on one
crop and once on one frame, so load from other processes hits all alike;
ratios are the medians of per-round ratios. ONNX Runtime threads do not
spin between calls here, which would steal cores from the other runtimes.
"""
import csv
import json
import os
import resource
import statistics
import sys
import time
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from .pose import TopDownPoseONNX

__all__ = [
    'HEAVY_MODULES', 'COLUMNS', 'peak_rss_mb', 'heavy_modules', 'precision',
    'build_runners', 'time_rounds', 'summarize', 'format_table',
    'write_outputs'
]

#: Packages the runtime must never import (the peak RSS is then its own).
HEAVY_MODULES = ('torch', 'mmcv', 'mmengine', 'mmpose', 'mmdet')
#: The columns of ``lite_benchmark.csv``, one row per runner.
COLUMNS = ('model', 'precision', 'backend', 'input', 'crop_ms', 'crop_iqr_ms',
           'frame_ms', 'frame_iqr_ms', 'speedup_vs_fp32', 'speedup_vs_ref')

Key = Tuple[str, str, str]  # (label, precision, backend)
Times = Dict[Key, Dict[str, List[float]]]


def peak_rss_mb() -> float:
    """Peak resident set size of this process in MiB (Linux: KiB units)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.


def heavy_modules() -> List[str]:
    """The :data:`HEAVY_MODULES` this process has imported, sorted."""
    return sorted({
        m.split('.')[0]
        for m in sys.modules if m.split('.')[0] in HEAVY_MODULES
    })


def precision(metadata: Dict[str, str]) -> str:
    """``fp32``, or the precision ``quantize_onnx.py`` recorded."""
    if 'precision' not in metadata:
        return 'fp32'
    return json.loads(metadata['precision']).get('precision', 'int8')


def build_runners(models: Sequence[Tuple[str, str]],
                  backends: Sequence[str],
                  num_threads: int,
                  max_batch_size: Optional[int] = None,
                  bf16: bool = False) -> List[Tuple[Key, TopDownPoseONNX]]:
    """``((label, precision, backend), pose)`` for every model x backend.

    Args:
        models (Sequence[tuple[str, str]]): ``(label, onnx_path)`` pairs;
            heatmap or SimCC models (the runtime picks the decoder).
        backends (Sequence[str]): Runtimes, each of ``BACKENDS``.
        num_threads (int): Inference threads of each runner.
        max_batch_size (int, optional): Most crops per inference call.
            Defaults to None (a frame's crops in one call).
        bf16 (bool): Also run each fp32 model in OpenVINO with its float
            layers in bfloat16 (precision ``'bf16'``), when ``'openvino'``
            is one of ``backends``. Defaults to False.

    Raises:
        ValueError: Two runners with the same key, a model the runtime
            cannot load, or ``bf16`` on a CPU without bfloat16.
    """
    runners = []

    def add(label, path, backend, compute='fp32'):
        pose = TopDownPoseONNX(
            path,
            num_threads=num_threads,
            max_batch_size=max_batch_size,
            backend=backend,
            spinning=False,
            precision=compute)
        stored = precision(pose.session.metadata)
        key = (label, compute if stored == 'fp32' else stored, backend)
        if any(key == k for k, _ in runners):
            raise ValueError(f'two models are {key}: give them '
                             'distinct labels (LABEL=MODEL.onnx)')
        runners.append((key, pose))
        return stored

    for label, path in models:
        for backend in backends:
            stored = add(label, path, backend)
            if bf16 and backend == 'openvino' and stored == 'fp32':
                add(label, path, backend, 'bf16')
    return runners


def time_rounds(runners, image: np.ndarray, boxes: np.ndarray,
                frame: np.ndarray, rounds: int, warmup: int) -> Times:
    """Round-robin: per round and runner, one crop call, one frame call.

    Args:
        runners (list): ``(key, pose)`` pairs from :func:`build_runners`.
        image (np.ndarray): The BGR image.
        boxes (np.ndarray): Person boxes (N, 4); round ``i`` crops box
            ``i % N``.
        frame (np.ndarray): The boxes of one frame, all in one call.
        rounds (int): Timed rounds.
        warmup (int): Untimed rounds first.

    Returns:
        dict: ``{key: {'crop': [ms, ...], 'frame': [ms, ...]}}``.
    """
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


def summarize(times: Times, reference: Key,
              sizes: Dict[Key, Tuple[int, int]]) -> List[dict]:
    """One row per runner, in run order, with :data:`COLUMNS`: medians and
    IQRs in ms, and per-crop speed-ups over the same model's fp32 row and
    over ``reference``; ``sizes`` maps each runner to its input ``(w, h)``.
    """
    rows = []
    for key, t in times.items():
        label, precision_, backend = key
        fp32 = times.get((label, 'fp32', backend))
        rows.append(
            dict(
                model=label,
                precision=precision_,
                backend=backend,
                input='{1}x{0}'.format(*sizes[key]),
                crop_ms=statistics.median(t['crop']),
                crop_iqr_ms=_iqr(t['crop']),
                frame_ms=statistics.median(t['frame']),
                frame_iqr_ms=_iqr(t['frame']),
                speedup_vs_fp32=(_paired_speedup(fp32['crop'], t['crop'])
                                 if fp32 and precision_ != 'fp32' else None),
                speedup_vs_ref=_paired_speedup(times[reference]['crop'],
                                               t['crop'])))
    return rows


def _cell(value) -> str:
    if value is None:
        return ''
    return f'{value:.2f}' if isinstance(value, float) else str(value)


def format_table(rows: List[dict]) -> str:
    """The rows of :func:`summarize` as a Markdown table."""
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


def _plot(rows: List[dict], path: str) -> None:
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
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
    fig.savefig(path, dpi=120)
    plt.close(fig)


def write_outputs(rows: List[dict], out_dir: str, header: str) -> List[str]:
    """Write ``lite_benchmark.md`` and ``.csv`` (and ``.png`` where
    matplotlib is installed) to ``out_dir``; the paths written."""
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, 'lite_benchmark.csv')
    with open(path, 'w', newline='', encoding='utf-8') as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows({k: _cell(v) for k, v in row.items()} for row in rows)
    written = [path]
    path = os.path.join(out_dir, 'lite_benchmark.md')
    with open(path, 'w', encoding='utf-8') as f:
        f.write(header + '\n\n' + format_table(rows) + '\n')
    written.append(path)
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        print('note: matplotlib is not installed: no plot')
        return written
    path = os.path.join(out_dir, 'lite_benchmark.png')
    _plot(rows, path)
    return written + [path]
