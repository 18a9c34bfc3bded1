"""CPU speed table of LEViTPose and its peers (batch 1, one process, models
timed round-robin), written as Markdown, CSV and a PNG plot.

Example::

    python tools/analysis_tools/benchmark.py --threads 2 --rounds 30 \\
        --backend eager deploy onnxruntime --out-dir benchmark_results

The models, timing and report live in :mod:`levitpose.deploy.benchmark`.
"""
import argparse
import functools
import os
import platform
import sys
from pathlib import Path

from levitpose.cli import (ToolParser, add_int_options, add_out_dir,
                           check_least, run_tool)
from levitpose.cli.shared_args import TORCH_BACKENDS
from levitpose.utils import LEViTPoseError, UsageError

REPO_ROOT = Path(__file__).resolve().parents[2]
MIN_ROUNDS = 20
#: The timing options: ``(flag, default, help)``.
TIMING = (('--threads', 2, 'CPU threads (default 2)'),
          ('--rounds', MIN_ROUNDS, f'timed rounds (>= {MIN_ROUNDS})'),
          ('--warmup', 5, 'untimed rounds first'))


def parse_args(argv=None) -> argparse.Namespace:
    """Parse the command line."""
    parser = ToolParser(
        description='CPU latency of top-down pose models, batch 1.')
    parser.add_argument(
        '--models',
        nargs='+',
        default=None,
        help='subset of the models (default: all), e.g. LEViTPose-T '
        'MobileNetV2')
    parser.add_argument(
        '--backend',
        nargs='+',
        default=['eager'],
        choices=TORCH_BACKENDS,
        help=f'one or more of {", ".join(TORCH_BACKENDS)} (default: eager)')
    add_int_options(parser, TIMING)
    parser.add_argument(
        '--input-size',
        type=int,
        nargs=2,
        metavar=('W', 'H'),
        default=None,
        help='input (w, h) for every model (default: each config\'s own)')
    add_out_dir(parser, 'benchmark_results', 'benchmark.{md,csv,png}')
    parser.add_argument(
        '--keep-memory',
        action=argparse.BooleanOptionalAction,
        default=True,
        help='fix glibc malloc\'s thresholds so that PyTorch reuses freed '
        'memory (default; --no-keep-memory leaves glibc\'s own)')
    parser.add_argument(
        '--pack-weights',
        action=argparse.BooleanOptionalAction,
        default=True,
        help='jit: reorder every convolution weight once for oneDNN before '
        'tracing (default; --no-pack-weights traces the plain convolutions)')
    parser.add_argument(
        '--allow-few-rounds',
        action='store_true',
        help=f'allow --rounds < {MIN_ROUNDS} (smoke tests only)')
    return parser.parse_args(argv)


def check_args(args: argparse.Namespace) -> None:
    """Refuse option values no run could use.

    Raises:
        UsageError: Naming the option.
    """
    minimums = [('--threads', 1)]
    if not args.allow_few_rounds:
        minimums.append(('--rounds', MIN_ROUNDS))
    check_least(args, minimums)
    if args.rounds < 1 or args.warmup < 0:
        raise UsageError('--rounds must be >= 1 and --warmup >= 0')
    if 'compile' in args.backend and len(set(args.backend)) > 1:
        raise UsageError(
            '--backend compile runs alone: a compiled model slows the '
            'uncompiled PyTorch models of the same process')
    if args.input_size and min(args.input_size) < 32:
        raise UsageError(f'--input-size must be >= 32, got {args.input_size}')


def cpu_name() -> str:
    """The CPU model name (``lscpu``'s "Model name") or the platform's."""
    try:
        with open('/proc/cpuinfo', encoding='utf-8') as f:
            for line in f:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def benchmark(args: argparse.Namespace, argv=None) -> None:
    """Build, time and report."""
    check_args(args)
    from levitpose.deploy import benchmark as bench
    models = bench.select_models(args.models)
    os.makedirs(args.out_dir, exist_ok=True)

    import onnxruntime
    import torch
    from tqdm import tqdm
    torch.set_num_threads(args.threads)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:  # already set (parallel work has started)
        pass
    runners = bench.build_runners(
        models,
        args.backend,
        str(REPO_ROOT),
        tuple(args.input_size) if args.input_size else None,
        threads=args.threads,
        log=lambda line: print(f'warning: {line}', file=sys.stderr),
        keep_memory=args.keep_memory,
        pack_weights=args.pack_weights)
    if not runners:
        raise LEViTPoseError('no model could be built')
    times = bench.time_round_robin(
        runners,
        args.rounds,
        args.warmup,
        progress=lambda it: tqdm(it, desc='rounds', unit='round'))
    rows = bench.summarize(runners, times)
    machine = (f'CPU: {cpu_name()}, {args.threads} threads; torch '
               f'{torch.__version__}, onnxruntime {onnxruntime.__version__}; '
               f'batch 1, {args.rounds} rounds after {args.warmup} warm-up, '
               'models interleaved round-robin in one process; glibc malloc ' +
               ('thresholds fixed (freed memory kept); '
                if args.keep_memory else 'thresholds left to glibc; ') +
               ('' if 'jit' not in args.backend else
                'jit convolution weights packed for oneDNN; '
                if args.pack_weights else 'jit convolution weights plain; ') +
               'random weights; accuracy = published numbers (source column).')
    command = ('python tools/analysis_tools/benchmark.py ' +
               ' '.join(argv if argv is not None else sys.argv[1:]))
    header = f'`{command}`\n\n{machine}\n'
    text = bench.write_markdown(rows, os.path.join(args.out_dir,
                                                   'benchmark.md'), header)
    bench.write_csv(rows, os.path.join(args.out_dir, 'benchmark.csv'))
    bench.write_plot(
        rows, os.path.join(args.out_dir, 'benchmark.png'), title=machine)
    print(text)
    print(f'wrote benchmark.md, benchmark.csv, benchmark.png to '
          f'{args.out_dir}')


def main(argv=None) -> int:
    """Run the tool; returns the exit status."""
    return run_tool(functools.partial(benchmark, parse_args(argv), argv))


if __name__ == '__main__':
    sys.exit(main())
