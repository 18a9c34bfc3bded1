"""Where a pose model's CPU time goes, per operator: PyTorch (its profiler)
and ONNX Runtime (its session profile), summed per operator type.

Used by ``tools/analysis_tools/profile_model.py``.
"""
import json
import os
import tempfile
from collections import defaultdict
from dataclasses import dataclass
from typing import Callable, Dict, List, Sequence

import numpy as np
import torch

from ..utils.errors import InvalidInputError

__all__ = [
    'OperatorTime', 'profile_torch', 'profile_onnxruntime',
    'summarize_ort_profile', 'format_table'
]


@dataclass
class OperatorTime:
    """Time of one operator type, per forward pass.

    Args:
        name (str): The operator (``aten::mkldnn_convolution``, ``Conv``).
        ms (float): Milliseconds per forward pass (self time).
        share (float): Share of all operators' time, in [0, 1].
        calls (float): Calls per forward pass.
    """
    name: str
    ms: float
    share: float
    calls: float


def _rows(totals: Dict[str, float], counts: Dict[str, int],
          runs: int) -> List[OperatorTime]:
    """Per-run rows from totals in microseconds, longest first."""
    total = sum(totals.values()) or 1.
    rows = [
        OperatorTime(name, us / runs / 1e3, us / total, counts[name] / runs)
        for name, us in totals.items()
    ]
    return sorted(rows, key=lambda r: -r.ms)


def profile_torch(forward: Callable[[], object],
                  runs: int = 10,
                  warmup: int = 3) -> List[OperatorTime]:
    """Self CPU time per ATen operator of ``forward()``, per call.

    Args:
        forward (Callable): Runs the model once (no arguments).
        runs (int): Profiled calls. Defaults to 10.
        warmup (int): Unprofiled calls first. Defaults to 3.

    Returns:
        list[OperatorTime]: Longest first.
    """
    from torch.profiler import ProfilerActivity, profile
    with torch.inference_mode():
        for _ in range(warmup):
            forward()
        with profile(activities=[ProfilerActivity.CPU]) as prof:
            for _ in range(runs):
                forward()
    totals: Dict[str, float] = defaultdict(float)
    counts: Dict[str, int] = defaultdict(int)
    for event in prof.key_averages():
        if event.self_cpu_time_total > 0:
            totals[event.key] += event.self_cpu_time_total
            counts[event.key] += event.count
    return _rows(totals, counts, runs)


def summarize_ort_profile(path: str, skip_runs: int = 0) -> List[OperatorTime]:
    """Kernel time per operator type in an ONNX Runtime profile file.

    Args:
        path (str): The JSON file ``session.end_profiling()`` wrote.
        skip_runs (int): Leave out the first runs (warm-up). Defaults to 0.

    Returns:
        list[OperatorTime]: Per counted ``model_run``, longest first.

    Raises:
        InvalidInputError: If the file holds no run past ``skip_runs``.
    """
    with open(path, encoding='utf-8') as f:
        events = json.load(f)
    starts = sorted(e['ts'] for e in events if e.get('name') == 'model_run')
    runs = len(starts) - skip_runs
    if runs < 1:
        raise InvalidInputError(f'no model run in ONNX Runtime profile {path}'
                                f' after the first {skip_runs}')
    since = starts[skip_runs]
    totals: Dict[str, float] = defaultdict(float)
    counts: Dict[str, int] = defaultdict(int)
    for event in events:
        if (event.get('cat') == 'Node' and event.get('ts', 0) >= since
                and event.get('name', '').endswith('_kernel_time')):
            op = event['args']['op_name']
            totals[op] += event['dur']
            counts[op] += 1
    return _rows(totals, counts, runs)


def profile_onnxruntime(onnx_file: str,
                        input_shape: Sequence[int],
                        runs: int = 10,
                        warmup: int = 3,
                        threads: int = 2) -> List[OperatorTime]:
    """Kernel time per ONNX operator type, as ONNX Runtime runs the file
    (after its own graph optimisations and fusions).

    Args:
        onnx_file (str): The model.
        input_shape (Sequence[int]): ``(N, 3, h, w)`` of the random input.
        runs (int): Profiled runs. Defaults to 10.
        warmup (int): Runs before profiling starts. Defaults to 3.
        threads (int): Intra-op threads. Defaults to 2.

    Returns:
        list[OperatorTime]: Longest first.
    """
    import onnxruntime as ort
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.graph_optimization_level = (
        ort.GraphOptimizationLevel.ORT_ENABLE_ALL)
    options.add_session_config_entry('session.intra_op.allow_spinning', '0')
    with tempfile.TemporaryDirectory() as tmp:
        options.enable_profiling = True
        options.profile_file_prefix = os.path.join(tmp, 'ort')
        session = ort.InferenceSession(
            onnx_file, options, providers=['CPUExecutionProvider'])
        name = session.get_inputs()[0].name
        x = np.random.default_rng(0).random(input_shape, dtype=np.float32)
        for _ in range(warmup + runs):
            session.run(None, {name: x})
        return summarize_ort_profile(session.end_profiling(), warmup)


def format_table(rows: Sequence[OperatorTime], top: int = 25) -> str:
    """A Markdown table of the ``top`` longest operators and the rest."""
    lines = [
        '| operator | ms / forward | share | calls / forward |',
        '|---|---:|---:|---:|',
    ]
    for row in rows[:top]:
        lines.append(f'| {row.name} | {row.ms:.3f} | {100 * row.share:.1f} % '
                     f'| {row.calls:.0f} |')
    rest = rows[top:]
    if rest:
        lines.append(f'| ({len(rest)} others) | {sum(r.ms for r in rest):.3f} '
                     f'| {100 * sum(r.share for r in rest):.1f} % | '
                     f'{sum(r.calls for r in rest):.0f} |')
    total_ms = sum(r.ms for r in rows)
    total_calls = sum(r.calls for r in rows)
    lines.append(f'| **total** | {total_ms:.3f} | 100 % | {total_calls:.0f} |')
    return '\n'.join(lines)
