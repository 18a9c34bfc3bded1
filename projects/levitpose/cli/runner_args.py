"""``tools/train.py`` / ``tools/test.py``: MMPose's argument sets, merged
into a Runner config as MMPose's own tools merge them.

The tools stay thin argument parsers: :func:`add_train_args` and
:func:`add_test_args` declare MMPose's options (``--resume``, ``--amp``,
``--no-validate``, ``--auto-scale-lr``, ``--show``/``--show-dir``,
``--dump``, ``--cfg-options``, ``--launcher`` ...), and
:func:`merge_train_args` / :func:`merge_test_args` apply them in MMPose's
order, refusing what MMPose would assert on with a
:class:`~levitpose.utils.UsageError`. Both select LEViTPose's checkpoint
hook (strict loading) for configs that do not. So ``python tools/train.py``
and ``mim train mmpose`` run the same experiment.
"""
import argparse
import gc
import os
import os.path as osp
from typing import Sequence

import torch
import torch.distributed as torch_dist
from mmengine.config import Config, DictAction
from mmengine.hooks import Hook

from levitpose.utils.config import config_errors
from levitpose.utils.errors import MissingFileError, UsageError

__all__ = [
    'LAUNCHERS', 'METRIC_FORMATS', 'add_cfg_options', 'add_train_args',
    'add_test_args', 'merge_train_args', 'merge_test_args', 'default_work_dir',
    'run_runner', 'init_cpu_distributed', 'close_distributed'
]

LAUNCHERS = ('none', 'pytorch', 'slurm', 'mpi')
CHECKPOINT_HOOK = 'CrashSafeCheckpointHook'  # atomic saves, strict loads
#: The files ``--out`` can write metrics to (MMEngine's dump formats).
METRIC_FORMATS = ('.json', '.yaml', '.yml', '.pkl', '.pickle')


def add_cfg_options(parser: argparse.ArgumentParser, example: str) -> None:
    """Add ``--cfg-options KEY=VALUE ...`` (MMEngine's ``DictAction``).

    Args:
        parser (argparse.ArgumentParser): The tool's parser.
        example (str): An override for the help text.
    """
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help=f'override config settings, e.g. {example}; lists as '
        'key="[a,b]"')


def _add_common_args(parser: argparse.ArgumentParser,
                     cfg_options_example: str) -> None:
    """The options train and test share."""
    parser.add_argument(
        '--show-dir',
        help='directory where the visualization images will be saved')
    parser.add_argument(
        '--show',
        action='store_true',
        help='display the prediction results in a window')
    parser.add_argument(
        '--interval', type=int, default=1, help='visualize every N samples')
    parser.add_argument(
        '--wait-time',
        type=float,
        default=1,
        help='display time of every window (seconds)')
    add_cfg_options(parser, cfg_options_example)
    parser.add_argument(
        '--launcher',
        choices=list(LAUNCHERS),
        default='none',
        help='job launcher')
    # torch.distributed.launch passes --local-rank; torchrun sets LOCAL_RANK
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)


def add_train_args(parser: argparse.ArgumentParser) -> None:
    """MMPose's ``tools/train.py`` options."""
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from this checkpoint, or, without a value, from the '
        'latest checkpoint in the work directory')
    parser.add_argument(
        '--amp',
        action='store_true',
        help='enable automatic mixed-precision training')
    parser.add_argument(
        '--no-validate',
        action='store_true',
        help='do not evaluate checkpoints during training')
    parser.add_argument(
        '--auto-scale-lr',
        action='store_true',
        help='scale the learning rate by the actual batch size over the '
        'config\'s auto_scale_lr.base_batch_size')
    _add_common_args(parser, 'train_cfg.max_epochs=2')


def add_test_args(parser: argparse.ArgumentParser) -> None:
    """MMPose's ``tools/test.py`` options."""
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--work-dir', help='the directory to save evaluation results')
    parser.add_argument(
        '--out', help='the file to save the metrics to (.json/.yaml/.pkl)')
    parser.add_argument(
        '--dump',
        help='dump predictions to a .pkl file for offline evaluation')
    parser.add_argument(
        '--badcase',
        action='store_true',
        help='analyse bad cases (BadCaseAnalysisHook)')
    _add_common_args(parser, 'test_dataloader.batch_size=8')


def default_work_dir(config_path: str) -> str:
    """``./work_dirs/<config stem>``, MMPose's default work directory."""
    return osp.join('./work_dirs', osp.splitext(osp.basename(config_path))[0])


def _merge_common(cfg: Config, args: argparse.Namespace) -> None:
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    cfg.launcher = args.launcher
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = default_work_dir(args.config)
    hooks = cfg.get('default_hooks') or {}
    checkpoint_hook = hooks.get('checkpoint')
    if checkpoint_hook is not None and checkpoint_hook.get('type') in (
            'CheckpointHook', 'mmengine.CheckpointHook'):
        checkpoint_hook.type = CHECKPOINT_HOOK


def _merge_visualization(cfg: Config, args: argparse.Namespace,
                         show: bool) -> None:
    if args.interval < 1 or args.wait_time < 0:
        raise UsageError('--interval must be >= 1 and --wait-time >= 0; got '
                         f'{args.interval} and {args.wait_time}')
    if not (show or args.show_dir is not None):
        return
    if 'visualization' not in cfg.get('default_hooks', {}):
        raise UsageError('--show/--show-dir need default_hooks.visualization '
                         '(PoseVisualizationHook) in the config')
    vis = cfg.default_hooks.visualization
    vis.enable = True
    vis.show = show
    if show:
        vis.wait_time = args.wait_time
    vis.out_dir = args.show_dir
    vis.interval = args.interval


def merge_train_args(cfg: Config, args: argparse.Namespace) -> Config:
    """Apply the options of :func:`add_train_args` to ``cfg`` in place.

    Args:
        cfg (Config): The config read from ``args.config``.
        args (argparse.Namespace): The parsed options.

    Returns:
        Config: ``cfg``.

    Raises:
        UsageError: ``--amp`` with a custom optimizer wrapper,
            ``--auto-scale-lr`` without ``auto_scale_lr`` in the config,
            ``--show`` without a visualization hook.
        MissingFileError: A ``--resume`` checkpoint that does not exist.
    """
    _merge_common(cfg, args)
    if args.no_validate:
        cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    if args.amp:
        wrapper = cfg.optim_wrapper.get('type', 'OptimWrapper')
        if wrapper not in ('OptimWrapper', 'AmpOptimWrapper'):
            raise UsageError(f'--amp needs optim_wrapper.type OptimWrapper '
                             f'or AmpOptimWrapper, not {wrapper!r}')
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    if args.auto_scale_lr:
        if 'base_batch_size' not in (cfg.get('auto_scale_lr') or {}):
            raise UsageError('--auto-scale-lr needs '
                             'auto_scale_lr.base_batch_size in the config')
        cfg.auto_scale_lr.enable = True
    _merge_visualization(cfg, args, args.show)
    if args.resume == 'auto':
        cfg.resume, cfg.load_from = True, None
    elif args.resume is not None:
        if not osp.isfile(args.resume):  # after the usage errors
            raise MissingFileError(
                f'checkpoint to resume {args.resume} does not exist')
        cfg.resume, cfg.load_from = True, args.resume
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    return cfg


def merge_test_args(cfg: Config, args: argparse.Namespace) -> Config:
    """Apply the options of :func:`add_test_args` to ``cfg`` in place, as
    :func:`merge_train_args` does for training (same arguments and return
    value).

    Raises:
        MissingFileError: If the checkpoint does not exist.
        UsageError: A ``--dump`` file that is not ``.pkl``/``.pickle``,
            ``--badcase`` or ``--show`` without their hooks, or an ``--out``
            format MMEngine cannot write.
    """
    _merge_common(cfg, args)
    if args.out is not None and not args.out.endswith(METRIC_FORMATS):
        raise UsageError(f'--out {args.out}: the file must end with .json, '
                         '.yaml, .yml, .pkl or .pickle')
    _merge_visualization(cfg, args, args.show and not args.badcase)
    if args.badcase:
        if 'badcase' not in cfg.get('default_hooks', {}):
            raise UsageError('--badcase needs default_hooks.badcase '
                             '(BadCaseAnalysisHook) in the config')
        badcase = cfg.default_hooks.badcase
        badcase.enable = True
        badcase.show = args.show
        if args.show:
            badcase.wait_time = args.wait_time
        badcase.interval = args.interval
        if badcase.get('metric_type', 'loss') == 'loss':
            badcase.setdefault('metric', cfg.model.head.loss)
        else:
            badcase.setdefault('metric', cfg.test_evaluator)
    if args.dump is not None:
        if not args.dump.endswith(('.pkl', '.pickle')):
            raise UsageError(f'--dump {args.dump}: the file must end with '
                             '.pkl or .pickle')
        evaluators = cfg.test_evaluator
        if not isinstance(evaluators, (list, tuple)):
            evaluators = [evaluators]
        cfg.test_evaluator = [
            *evaluators,
            dict(type='DumpResults', out_file_path=args.dump)
        ]
    if not osp.isfile(args.checkpoint):  # after the usage errors
        raise MissingFileError(f'checkpoint {args.checkpoint} does not exist')
    cfg.load_from = args.checkpoint
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    return cfg


def init_cpu_distributed(cfg: Config) -> bool:
    """Start ``torch.distributed`` with gloo when there is no GPU.

    MMEngine 0.10.7's ``pytorch`` launcher calls ``torch.cuda.set_device``
    before ``init_process_group``, which fails on CPU-only machines. When
    ``cfg.launcher`` is ``pytorch`` and CUDA is unavailable, this joins the
    process group that ``torchrun`` describes (``env://``: ``RANK``,
    ``WORLD_SIZE``, ``MASTER_ADDR``, ``MASTER_PORT``) with the gloo backend
    and records ``env_cfg.dist_cfg.backend = 'gloo'``; the Runner then sees
    an initialised group and uses it. The model wrapper gets
    ``device_ids=None`` (DDP of a CPU module), with MMEngine's other
    defaults. Nothing happens otherwise.

    Args:
        cfg (Config): The merged config.

    Returns:
        bool: Whether the process group was started here.
    """
    if (cfg.get('launcher', 'none') != 'pytorch' or torch.cuda.is_available()
            or torch_dist.is_initialized()):
        return False
    if cfg.get('env_cfg') is None:
        cfg.env_cfg = dict()
    if cfg.env_cfg.get('dist_cfg') is None:
        cfg.env_cfg.dist_cfg = dict()
    cfg.env_cfg.dist_cfg.backend = 'gloo'
    if cfg.get('model_wrapper_cfg') is None:
        cfg.model_wrapper_cfg = dict(
            type='MMDistributedDataParallel',
            broadcast_buffers=False,
            find_unused_parameters=cfg.get('find_unused_parameters', False))
    cfg.model_wrapper_cfg.device_ids = None
    torch_dist.init_process_group(backend='gloo', init_method='env://')
    return True


def close_distributed(finished: bool = False) -> None:
    """Destroy the default process group, if any, before the process exits.

    MMEngine 0.10.7 never calls ``destroy_process_group``. With gloo the
    group's worker threads then outlive the interpreter's teardown and,
    now and then, abort the finished process (SIGABRT, "terminate called
    without an active exception"), so ``torchrun`` reports a failed run
    whose work is complete. The tools call this once training or testing
    returns or raises, whichever launcher started the group, after they
    have dropped their Runner (so the model wrapper no longer holds the
    group).

    Args:
        finished (bool): Whether this process's work ended normally. Then
            every process first waits for the others (a barrier), so none
            tears its group down while another still exchanges data with
            it. After an error there is no barrier: the other processes
            may never reach it. Defaults to False.
    """
    if not (torch_dist.is_available() and torch_dist.is_initialized()):
        return
    if finished:
        torch_dist.barrier()
    gc.collect()  # a wrapper caught in a reference cycle lets go of the group
    torch_dist.destroy_process_group()


def run_runner(cfg: Config, mode: str, hooks: Sequence[Hook] = ()) -> None:
    """Build MMEngine's Runner from ``cfg`` and train or test.

    Args:
        cfg (Config): The merged config.
        mode (str): ``'train'`` or ``'test'``.
        hooks (Sequence[Hook]): Extra hooks, registered with the lowest
            priority. Defaults to none.

    Nothing is returned: ``runner.train()`` returns the wrapped model, and
    under a distributed launch nothing may hold it (or its process group)
    once the group is destroyed. Results are in the work directory.

    Raises:
        InvalidInputError: If the config does not build (an unknown type, a
            module refusing its arguments...), with the first line of why.
    """
    init_cpu_distributed(cfg)  # gloo under torchrun when there is no GPU
    finished = False
    try:
        from mmengine.runner import Runner
        with config_errors(f'the runner of config {cfg.filename}'):
            runner = Runner.from_cfg(cfg)
        for hook in hooks:
            runner.register_hook(hook, 'LOWEST')
        getattr(runner, mode)()  # train() returns the (wrapped) model: drop
        finished = True
    finally:
        runner = None  # the model wrapper and its process group go with it
        close_distributed(finished)
