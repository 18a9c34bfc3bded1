"""Write the benchmark's table (Markdown, CSV) and plot (PNG)."""
import csv
from typing import Dict, List, Sequence, Tuple

from .models import METRICS, PAPER_SOURCE

__all__ = ['write_markdown', 'write_csv', 'write_plot']


def _accuracy_cell(row: dict, metric: str) -> Tuple[str, str]:
    if metric not in row['accuracy']:
        return '', ''
    value, source = row['accuracy'][metric]
    return f'{value:.1f}', source


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
        'latency ms (median) | IQR ms | FPS | GFLOP/s | '
        'LEViTPose-T speed-up | MPII PCKh | COCO AP | accuracy source |',
        '|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
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
                     f'{row["fps"]:.1f} | {row["gmacs"]:.1f} | {speed} | '
                     f'{cells[0]} | {cells[1]} | '
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
        'iqr_ms', 'min_ms', 'max_ms', 'fps', 'gmacs', 'speed_vs_ref', 'rounds',
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
    markers = dict(
        eager='o', deploy='s', jit='D', compile='P', onnxruntime='^')
    for ax, metric in zip(axes, METRICS):
        by_model: Dict[str, List[dict]] = {}
        for row in rows:
            if metric in row['accuracy']:
                by_model.setdefault(row['model'], []).append(row)
        for model, model_rows in by_model.items():
            value, source = model_rows[0]['accuracy'][metric]
            color = 'tab:red' if source == PAPER_SOURCE else 'tab:blue'
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
