"""Build and time the benchmark's models, round-robin.

All models live in one process and are timed round-robin (one batch-1
forward of each model per round, after a warm-up), so that load from other
processes hits every model alike. Backends: PyTorch eager, PyTorch after
``switch_to_deploy()`` (fused), and ONNX Runtime: the fused model exported
by :func:`levitpose.deploy.export_onnx` (as ``pytorch2onnx.py`` exports
it) and run in the session :mod:`levitpose_lite` builds
(:func:`levitpose_lite.backends.ort_session`), so the latency is what lite
users get.

Backends: ``eager`` (the training graph in eval mode), ``deploy`` (the
model's own ``switch_to_deploy()``, then mmcv's generic ``fuse_conv_bn`` so
that every peer has its Conv+BN pairs fused alike), ``jit`` (the deployed
model, its convolution weights packed for oneDNN, traced and frozen,
:func:`levitpose.deploy.optimize_for_cpu`; every model alike),
``compile`` (the deployed model compiled by ``torch.compile`` with frozen
weights, the same function; a minute or two per model to build) and
``onnxruntime``.

Before any model is built, glibc's malloc thresholds are fixed for the
process (:func:`levitpose.deploy.allocator.keep_freed_memory`, what
:func:`~levitpose.deploy.optimize_for_cpu` does), so no PyTorch model's
time depends on which models ran before it in the process.
"""
import copy
import os
import statistics
import tempfile
import time
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from torch import nn

from ...utils.errors import UsageError, describe_error
from ..allocator import keep_freed_memory
from ..onnx_export import TensorExportWrapper, export_onnx
from ..torch_inference import fuse_for_deploy, optimize_for_cpu
from .models import REFERENCE_MODEL, BenchmarkModel, published_accuracy

__all__ = [
    'BACKENDS', 'Runner', 'build_runners', 'time_round_robin', 'summarize'
]

BACKENDS = ('eager', 'deploy', 'jit', 'compile', 'onnxruntime')


@dataclass
class Runner:
    """One (model, backend) pair to time, with its static facts."""
    model: str
    backend: str
    run: Callable[[], object]
    input_size: Tuple[int, int]
    facts: Dict[str, object]


def build_runners(models: Sequence[BenchmarkModel],
                  backends: Sequence[str],
                  repo_root: str,
                  input_size: Optional[Tuple[int, int]] = None,
                  threads: int = 2,
                  work_dir: Optional[str] = None,
                  log: Callable[[str], None] = print,
                  keep_memory: bool = True,
                  pack_weights: bool = True) -> List[Runner]:
    """Build every model and backend to time (random weights, eval mode).

    Args:
        models (Sequence[BenchmarkModel]): The models.
        backends (Sequence[str]): A subset of :data:`BACKENDS`.
        repo_root (str): Root of repo-relative config paths.
        input_size (tuple[int, int], optional): Input ``(w, h)`` for all
            models; None uses each config's codec size. Defaults to None.
        threads (int): ONNX Runtime intra-op threads. Defaults to 2.
        work_dir (str, optional): Where ONNX files go. Defaults to a
            temporary directory.
        log (Callable): Receives one line per problem. Defaults to print.
        keep_memory (bool): Fix glibc's malloc thresholds first
            (:func:`~levitpose.deploy.allocator.keep_freed_memory`);
            False leaves them to glibc, which the ``jit`` and ``compile``
            forms then do not change either. Defaults to True.
        pack_weights (bool): Reorder the ``jit`` form's convolution
            weights once for oneDNN (every model alike; see
            :func:`~levitpose.deploy.optimize_for_cpu`). Defaults to True.

    Returns:
        list[Runner]: In model order, then backend order; a backend that
        fails for a model is logged and left out.
    """
    from levitpose_lite.backends import ort_session
    from ...analysis import get_config_complexity
    from ...apis import init_pose_model
    from ...utils.config import load_config
    from .models import config_path
    bad = [b for b in backends if b not in BACKENDS]
    if bad:
        raise UsageError(f'unknown backend(s) {bad}; choose from '
                         f'{list(BACKENDS)}')
    if keep_memory:  # for every model alike, whatever the order
        keep_freed_memory()
    work_dir = work_dir or tempfile.mkdtemp(prefix='levitpose_bench_')
    runners = []
    for spec in models:
        config = config_path(spec.config, repo_root)
        cfg = load_config(config)
        native = tuple(cfg.codec['input_size'])
        size = tuple(input_size or native)
        # published accuracy holds at the published size only
        accuracy = published_accuracy(spec,
                                      repo_root) if size == native else {}
        if size != native:
            config = _with_input_size(cfg, size, work_dir, spec.name)
        x = torch.rand(1, 3, size[1], size[0])
        complexity = get_config_complexity(
            config, (size[1], size[0]), strict=False)
        facts = dict(
            params=complexity['params'],
            flops=complexity['flops'],
            uncounted=sorted(complexity['uncounted']),
            accuracy=accuracy,
            config=spec.config)
        model = init_pose_model(config)
        deployed = None
        for backend in backends:
            try:
                if backend == 'eager':
                    run = _torch_runner(TensorExportWrapper(model), x)
                else:
                    if deployed is None:
                        deployed = fuse_for_deploy(copy.deepcopy(model))
                    if backend == 'deploy':
                        run = _torch_runner(TensorExportWrapper(deployed), x)
                    elif backend in ('jit', 'compile'):
                        run = _torch_runner(
                            optimize_for_cpu(
                                deployed,
                                tuple(x.shape),
                                mode=backend,
                                keep_memory=keep_memory,
                                pack_weights=pack_weights), x)
                    else:
                        onnx_file = os.path.join(
                            work_dir, f'{spec.name}_{size[0]}x{size[1]}.onnx')
                        export_onnx(
                            deployed,
                            onnx_file,
                            tuple(x.shape),
                            heatmaps=False)
                        run = _ort_runner(
                            ort_session(
                                onnx_file, num_threads=threads,
                                spinning=False), x.numpy())
                run()  # fail here, not in the timing loop
            except Exception as err:  # one model failing spoils no table
                log(f'{spec.name} [{backend}] skipped: '
                    f'{describe_error(err)}')
                continue
            runners.append(Runner(spec.name, backend, run, size, facts))
    return runners


def _with_input_size(cfg, size: Tuple[int, int], work_dir: str,
                     name: str) -> str:
    """Write ``cfg`` with every size-dependent entry set to ``size``.

    Sets the codec's and the head decoder's ``input_size`` and, where the
    model has them, ``backbone.input_size`` (LEViTPose, EfficientViT) and
    the SimCC head's ``input_size`` / ``in_featuremap_size`` (RTMPose).

    Returns:
        str: The path of the written config.
    """
    model = cfg.model
    cfg.codec['input_size'] = size
    head = model.head
    if 'decoder' in head and 'input_size' in head.decoder:
        head.decoder['input_size'] = size
    if 'input_size' in head:
        head['input_size'] = size
    if 'in_featuremap_size' in head:
        head['in_featuremap_size'] = tuple(s // 32 for s in size)
    if 'input_size' in model.backbone:
        model.backbone['input_size'] = size
    path = os.path.join(work_dir, f'{name}_{size[0]}x{size[1]}.py')
    cfg.dump(path)
    return path


def _torch_runner(model: nn.Module, x: torch.Tensor) -> Callable[[], object]:
    """``model(x)`` without autograd (``model`` maps images to the head's
    tensor output)."""

    def run():
        with torch.inference_mode():
            return model(x)

    return run


def _ort_runner(session, x: np.ndarray) -> Callable[[], object]:
    name = session.get_inputs()[0].name

    def run():
        return session.run(None, {name: x})

    return run


def time_round_robin(runners: Sequence[Runner],
                     rounds: int = 20,
                     warmup: int = 3,
                     progress: Optional[Callable] = None
                     ) -> Dict[Tuple[str, str], List[float]]:
    """Time every runner once per round, round-robin; seconds per forward.

    Args:
        runners (Sequence[Runner]): What to time.
        rounds (int): Timed rounds. Defaults to 20.
        warmup (int): Untimed rounds first. Defaults to 3.
        progress (Callable, optional): Wraps the round iterator (e.g.
            ``tqdm``). Defaults to None.

    Returns:
        dict: ``(model, backend)`` -> the ``rounds`` durations in seconds.
    """
    times = {(r.model, r.backend): [] for r in runners}
    iterator = range(warmup + rounds)
    if progress is not None:
        iterator = progress(iterator)
    for i in iterator:
        for runner in runners:
            start = time.perf_counter()
            runner.run()
            elapsed = time.perf_counter() - start
            if i >= warmup:
                times[(runner.model, runner.backend)].append(elapsed)
    return times


def summarize(runners: Sequence[Runner],
              times: Dict[Tuple[str, str], List[float]]) -> List[dict]:
    """One table row per (model, backend), speed relative to LEViTPose-T.

    ``speed_vs_ref`` = the median over rounds of the row's latency divided
    by LEViTPose-T's in the same round, on the same backend: how many
    times faster LEViTPose-T runs (the paper's "1.21x MobileNetV2"
    figure). A slow moment of the machine hits both models of a round
    alike, so the per-round ratio is steadier than a ratio of medians.
    ``gmacs`` = counted FLOPs (mmcv's convention: one multiply-add is one
    FLOP) per second of median latency: how well the model uses the CPU.
    """
    rows = []
    for runner in runners:
        ms = [1000 * t for t in times[(runner.model, runner.backend)]]
        q1, median, q3 = np.percentile(ms, [25, 50, 75])
        rows.append(
            dict(
                model=runner.model,
                backend=runner.backend,
                input=f'{runner.input_size[1]}x{runner.input_size[0]}',
                params_m=runner.facts['params'] / 1e6,
                gflops=runner.facts['flops'] / 1e9,
                latency_ms=float(statistics.median(ms)),
                iqr_ms=float(q3 - q1),
                min_ms=float(min(ms)),
                max_ms=float(max(ms)),
                fps=1000. / float(median),
                gmacs=runner.facts['flops'] / 1e9 / (float(median) / 1e3),
                rounds=len(ms),
                uncounted_ops=' '.join(runner.facts['uncounted']),
                accuracy=runner.facts['accuracy'],
                config=runner.facts['config']))
    for row in rows:
        ref = times.get((REFERENCE_MODEL, row['backend']))
        mine = times[(row['model'], row['backend'])]
        row['speed_vs_ref'] = (
            float(statistics.median(
                a / b for a, b in zip(mine, ref))) if ref else None)
    return rows
