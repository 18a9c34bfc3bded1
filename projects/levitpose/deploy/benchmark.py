"""CPU speed benchmark of LEViTPose and its peers (the paper's speed table).

All models live in one process and are timed round-robin (one batch-1
forward of each model per round, after a warm-up), so that load from other
processes hits every model alike; the table reports the median and the
inter-quartile range of the rounds. Backends: PyTorch eager, PyTorch after
``switch_to_deploy()`` (fused), and ONNX Runtime (exported from the fused
model). Accuracy columns hold published numbers only: the LEViTPose paper
for LEViTPose, MMPose's model-zoo metafiles (``*.yml`` of the installed
``mmpose``) for the peers, each with its source.
"""
import copy
import csv
import os
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
import yaml
from torch import nn

from .config_path import resolve_config

__all__ = [
    'BenchmarkModel', 'BENCHMARK_MODELS', 'BACKENDS', 'REFERENCE_MODEL',
    'select_models', 'zoo_accuracy', 'ort_session', 'build_runners',
    'time_round_robin', 'summarize', 'write_markdown', 'write_csv',
    'write_plot'
]

BACKENDS = ('eager', 'deploy', 'onnxruntime')
REFERENCE_MODEL = 'LEViTPose-T'
_TD = 'body_2d_keypoint/topdown_heatmap'
_MMPOSE_TD = 'mmpose::' + _TD
_PAPER = 'LEViTPose paper'


@dataclass
class BenchmarkModel:
    """A model of the benchmark.

    Args:
        name (str): Display name.
        config (str): Repo-relative config path or ``mmpose::`` name.
        paper (dict): Metric name -> value published by the LEViTPose
            paper (LEViTPose models only). Defaults to empty.
    """
    name: str
    config: str
    paper: Dict[str, float] = field(default_factory=dict)


BENCHMARK_MODELS: Tuple[BenchmarkModel, ...] = (
    BenchmarkModel(
        'LEViTPose-T',
        f'configs/{_TD}/mpii/td-hm_levitpose-t_8xb64-210e_mpii-256x256.py', {
            'MPII PCKh': 85.9,
            'COCO AP': 68.2
        }),
    BenchmarkModel(
        'LEViTPose-S',
        f'configs/{_TD}/mpii/td-hm_levitpose-s_8xb64-210e_mpii-256x256.py', {
            'MPII PCKh': 87.7,
            'COCO AP': 71.0
        }),
    BenchmarkModel(
        'EfficientViT-M0',
        f'configs/{_TD}/mpii/td-hm_efficientvit-m0_8xb64-210e_mpii-256x256.py'
    ),
    BenchmarkModel(
        'HRNet-W32',
        f'{_MMPOSE_TD}/mpii/td-hm_hrnet-w32_8xb64-210e_mpii-256x256.py'),
    BenchmarkModel(
        'Hourglass-52',
        f'{_MMPOSE_TD}/mpii/td-hm_hourglass52_8xb64-210e_mpii-256x256.py'),
    BenchmarkModel(
        'LiteHRNet-30',
        f'{_MMPOSE_TD}/mpii/td-hm_litehrnet-30_8xb64-210e_mpii-256x256.py'),
    BenchmarkModel(
        'MobileNetV2',
        f'{_MMPOSE_TD}/mpii/td-hm_mobilenetv2_8xb64-210e_mpii-256x256.py'),
    BenchmarkModel(
        'PVT-S', f'{_MMPOSE_TD}/coco/td-hm_pvt-s_8xb64-210e_coco-256x192.py'),
    BenchmarkModel(
        'RTMPose-t', 'mmpose::body_2d_keypoint/rtmpose/coco/'
        'rtmpose-t_8xb256-420e_coco-256x192.py'),
    BenchmarkModel(
        'RTMPose-s', 'mmpose::body_2d_keypoint/rtmpose/coco/'
        'rtmpose-s_8xb256-420e_coco-256x192.py'),
)


def select_models(names: Optional[Sequence[str]]) -> List[BenchmarkModel]:
    """The benchmark models called ``names`` (all when None), in table order.

    Raises:
        ValueError: naming the unknown names and the allowed ones.
    """
    by_name = {m.name.lower(): m for m in BENCHMARK_MODELS}
    if not names:
        return list(BENCHMARK_MODELS)
    unknown = [n for n in names if n.lower() not in by_name]
    if unknown:
        raise ValueError(f'unknown model(s) {unknown}; choose from '
                         f'{[m.name for m in BENCHMARK_MODELS]}')
    wanted = {n.lower() for n in names}
    return [m for m in BENCHMARK_MODELS if m.name.lower() in wanted]


def zoo_accuracy(config_file: str) -> Dict[str, Tuple[float, str]]:
    """Published accuracy of an MMPose config from its model-zoo metafile.

    Args:
        config_file (str): A config file inside the installed MMPose.

    Returns:
        dict: ``{'MPII PCKh' | 'COCO AP': (value in %, source)}``; empty if
        no metafile lists the config.
    """
    folder, stem = os.path.split(config_file)
    stem = os.path.splitext(stem)[0]
    for name in sorted(os.listdir(folder)):
        if not name.endswith('.yml'):
            continue
        with open(os.path.join(folder, name), encoding='utf-8') as f:
            meta = yaml.safe_load(f) or {}
        for entry in meta.get('Models', []):
            if entry.get('Name') != stem:
                continue
            source = (f'mmpose {os.path.basename(folder)}/{name}')
            result = entry['Results'][0]
            metrics = result['Metrics']
            if result['Dataset'] == 'MPII' and 'Mean' in metrics:
                return {'MPII PCKh': (100 * metrics['Mean'], source)}
            if result['Dataset'] == 'COCO' and 'AP' in metrics:
                return {'COCO AP': (100 * metrics['AP'], source)}
    return {}


class _TensorMode(nn.Module):
    """``forward(x)`` = ``estimator(x, None, 'tensor')``."""

    def __init__(self, estimator: nn.Module) -> None:
        super().__init__()
        self.estimator = estimator

    def forward(self, x: torch.Tensor):
        return self.estimator(x, None, 'tensor')


def ort_session(onnx_file: str, threads: int):
    """An ONNX Runtime CPU session that shares the cores politely.

    Spinning worker threads would keep cores busy between runs and slow
    down the PyTorch models timed in the same process, so spinning is off.

    Args:
        onnx_file (str): The model.
        threads (int): Intra-op threads.

    Returns:
        onnxruntime.InferenceSession: The session.
    """
    import onnxruntime as ort
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = (
        ort.GraphOptimizationLevel.ORT_ENABLE_ALL)
    options.add_session_config_entry('session.intra_op.allow_spinning', '0')
    options.add_session_config_entry('session.inter_op.allow_spinning', '0')
    return ort.InferenceSession(
        onnx_file, sess_options=options, providers=['CPUExecutionProvider'])


def _export_for_speed(model: nn.Module, x: torch.Tensor,
                      onnx_file: str) -> None:
    with torch.no_grad():
        torch.onnx.export(
            _TensorMode(model).eval(), (x, ),
            onnx_file,
            dynamo=True,
            external_data=False,
            verbose=False,
            opset_version=18)


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
                  log: Callable[[str], None] = print) -> List[Runner]:
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

    Returns:
        list[Runner]: In model order, then backend order; a backend that
        fails for a model is logged and left out.
    """
    from mmengine.config import Config
    from mmpose.apis import init_model

    import levitpose  # noqa: F401  registers LEViTPose into MMPose
    from levitpose.utils.flops import get_config_complexity
    bad = [b for b in backends if b not in BACKENDS]
    if bad:
        raise ValueError(f'unknown backend(s) {bad}; choose from '
                         f'{list(BACKENDS)}')
    work_dir = work_dir or tempfile.mkdtemp(prefix='levitpose_bench_')
    runners = []
    for spec in models:
        config = spec.config
        if not config.startswith('mmpose::'):
            config = os.path.join(repo_root, config)
        config = resolve_config(config)
        cfg = Config.fromfile(config)
        native = tuple(cfg.codec['input_size'])
        size = tuple(input_size or native)
        accuracy = {}  # published accuracy holds at the published size
        if size == native:
            accuracy.update(zoo_accuracy(config))
            accuracy.update({k: (v, _PAPER) for k, v in spec.paper.items()})
        else:
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
        model = init_model(config, None, device='cpu').eval()
        deployed = None
        for backend in backends:
            try:
                if backend == 'eager':
                    run = _torch_runner(model, x)
                else:
                    if deployed is None:
                        deployed = copy.deepcopy(model)
                        deployed.switch_to_deploy()
                        deployed.eval()
                    if backend == 'deploy':
                        run = _torch_runner(deployed, x)
                    else:
                        onnx_file = os.path.join(
                            work_dir, f'{spec.name}_{size[0]}x{size[1]}.onnx')
                        _export_for_speed(deployed, x, onnx_file)
                        run = _ort_runner(
                            ort_session(onnx_file, threads), x.numpy())
                run()  # fail here, not in the timing loop
            except Exception as err:  # one model failing spoils no table
                log(f'{spec.name} [{backend}] skipped: '
                    f'{type(err).__name__}: {str(err).splitlines()[0]}')
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

    def run():
        with torch.inference_mode():
            return model(x, None, 'tensor')

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

    ``speed_vs_ref`` = the row's median latency divided by LEViTPose-T's
    on the same backend: how many times faster LEViTPose-T runs (the
    paper's "1.21x MobileNetV2" figure).
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
                rounds=len(ms),
                uncounted_ops=' '.join(runner.facts['uncounted']),
                accuracy=runner.facts['accuracy'],
                config=runner.facts['config']))
    for row in rows:
        ref = [
            r for r in rows
            if r['model'] == REFERENCE_MODEL and r['backend'] == row['backend']
        ]
        row['speed_vs_ref'] = (
            row['latency_ms'] / ref[0]['latency_ms'] if ref else None)
    return rows


def _accuracy_cell(row: dict, metric: str) -> Tuple[str, str]:
    if metric not in row['accuracy']:
        return '', ''
    value, source = row['accuracy'][metric]
    return f'{value:.1f}', source


METRICS = ('MPII PCKh', 'COCO AP')


def write_markdown(rows: Sequence[dict], path: str, header: str = '') -> str:
    """Write (and return) the Markdown table.

    Args:
        rows (Sequence[dict]): From :func:`summarize`.
        path (str): Output ``.md`` file.
        header (str): Text put above the table. Defaults to ''.

    Returns:
        str: The Markdown text.
    """
    lines = [header] if header else []
    lines += [
        '| model | backend | input (HxW) | params (M) | FLOPs (G) | '
        'latency ms (median) | IQR ms | FPS | LEViTPose-T speed-up | '
        'MPII PCKh | COCO AP | accuracy source |',
        '|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|',
    ]
    for row in rows:
        cells, sources = [], []
        for metric in METRICS:
            value, source = _accuracy_cell(row, metric)
            cells.append(value)
            if source and source not in sources:
                sources.append(source)
        speed = ('' if row['speed_vs_ref'] is None else
                 f'{row["speed_vs_ref"]:.2f}x')
        lines.append(f'| {row["model"]} | {row["backend"]} | {row["input"]} | '
                     f'{row["params_m"]:.2f} | {row["gflops"]:.2f} | '
                     f'{row["latency_ms"]:.1f} | {row["iqr_ms"]:.1f} | '
                     f'{row["fps"]:.1f} | {speed} | {cells[0]} | {cells[1]} | '
                     f'{"; ".join(sources)} |')
    eager = {
        r['model']: r['latency_ms']
        for r in rows if r['backend'] == 'eager'
    }
    speedups = [
        f'{r["model"]} {r["backend"]}: '
        f'{eager[r["model"]] / r["latency_ms"]:.2f}x' for r in rows
        if r['backend'] != 'eager' and r['model'] in eager
    ]
    if speedups:
        lines += [
            '', 'Speed-up over PyTorch eager (same model, median '
            'latencies): ' + '; '.join(speedups) + '.'
        ]
    text = '\n'.join(lines) + '\n'
    with open(path, 'w', encoding='utf-8') as f:
        f.write(text)
    return text


def write_csv(rows: Sequence[dict], path: str) -> None:
    """Write the rows as CSV (one column per field, accuracy flattened)."""
    fields = [
        'model', 'backend', 'input', 'params_m', 'gflops', 'latency_ms',
        'iqr_ms', 'min_ms', 'max_ms', 'fps', 'speed_vs_ref', 'rounds',
        'mpii_pckh', 'coco_ap', 'accuracy_source', 'uncounted_ops', 'config'
    ]
    with open(path, 'w', newline='', encoding='utf-8') as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        for row in rows:
            out = {k: row.get(k) for k in fields}
            for metric, key in zip(METRICS, ('mpii_pckh', 'coco_ap')):
                out[key], source = _accuracy_cell(row, metric)
                if source:
                    out['accuracy_source'] = source
            writer.writerow(out)


def write_plot(rows: Sequence[dict], path: str, title: str = '') -> None:
    """Published accuracy vs measured latency, one panel per metric.

    Args:
        rows (Sequence[dict]): From :func:`summarize`.
        path (str): Output ``.png`` file.
        title (str): Figure title. Defaults to ''.
    """
    import matplotlib
    matplotlib.use('Agg')
    import textwrap

    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 2, figsize=(12, 5.5))
    markers = dict(eager='o', deploy='s', onnxruntime='^')
    for ax, metric in zip(axes, METRICS):
        by_model: Dict[str, List[dict]] = {}
        for row in rows:
            if metric in row['accuracy']:
                by_model.setdefault(row['model'], []).append(row)
        for model, model_rows in by_model.items():
            value, source = model_rows[0]['accuracy'][metric]
            color = 'tab:red' if source == _PAPER else 'tab:blue'
            latencies = [r['latency_ms'] for r in model_rows]
            ax.plot(
                latencies, [value] * len(latencies),
                '-',
                color=color,
                alpha=0.4)
            for r in model_rows:
                ax.scatter(
                    r['latency_ms'],
                    value,
                    color=color,
                    marker=markers[r['backend']])
            ax.annotate(
                model, (max(latencies), value),
                fontsize=8,
                xytext=(4, 2),
                textcoords='offset points')
        for backend, marker in markers.items():
            if any(r['backend'] == backend for r in rows):
                ax.scatter([], [], color='gray', marker=marker, label=backend)
        ax.legend(fontsize=8, loc='best')
        ax.set_xscale('log')
        ax.set_xlabel('measured CPU latency, batch 1 (ms, log scale)')
        ax.set_ylabel(f'{metric} (%), published')
        ax.set_title(
            f'{metric}: red = LEViTPose paper, blue = MMPose zoo', fontsize=10)
        ax.grid(True, alpha=0.3)
    if title:
        fig.suptitle(textwrap.fill(title, 140), fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
