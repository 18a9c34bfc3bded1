"""Turn ``tools/train.py`` / ``tools/test.py`` arguments into a Runner config.

The tools stay thin argument parsers; this module validates the inputs
(so a missing config or checkpoint is one clear error, not a traceback
from deep inside MMEngine) and merges the arguments into the config the
same way MMPose's own tools do, so ``python tools/train.py`` and
``mim train mmpose`` run the same experiment.
"""
import argparse
import os
import os.path as osp
from typing import Optional, Sequence

import torch
import torch.distributed as torch_dist
from mmengine.config import Config, DictAction

__all__ = [
    'UsageError', 'load_config', 'merge_train_args', 'merge_test_args',
    'default_work_dir', 'init_cpu_distributed', 'close_distributed',
    'add_launch_args', 'parse_launch_args'
]

LAUNCHERS = ('none', 'pytorch', 'slurm', 'mpi')


class UsageError(ValueError):
    """A bad command-line input; tools print it in one line and exit 2."""


def load_config(path: str, cfg_options: Optional[dict] = None) -> Config:
    """Read a config file and apply ``--cfg-options``.

    Args:
        path (str): The config file (``.py``).
        cfg_options (dict, optional): ``key=value`` overrides, dotted keys
            allowed. Defaults to None.

    Returns:
        Config: The merged config.

    Raises:
        UsageError: If ``path`` is not a file or cannot be parsed.
    """
    if not osp.isfile(path):
        raise UsageError(f'config file {path} does not exist')
    try:
        cfg = Config.fromfile(path)
    except (SyntaxError, ImportError, KeyError, ValueError, TypeError,
            AttributeError, FileNotFoundError) as err:
        message = str(err).strip().splitlines()
        raise UsageError(f'cannot read config {path}: '
                         f'{type(err).__name__}: '
                         f'{message[0] if message else ""}') from err
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    return cfg


def add_launch_args(parser: argparse.ArgumentParser,
                    cfg_options_example: str) -> None:
    """Add the options ``tools/train.py`` and ``tools/test.py`` share:
    ``--cfg-options``, ``--launcher`` and ``--local-rank``.

    Args:
        parser (argparse.ArgumentParser): The tool's parser.
        cfg_options_example (str): An example override for the help text.
    """
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help=f'override config settings, e.g. {cfg_options_example}; '
        'lists as key="[a,b]"')
    parser.add_argument(
        '--launcher',
        choices=list(LAUNCHERS),
        default='none',
        help='job launcher')
    # torch.distributed.launch passes --local-rank; torchrun sets LOCAL_RANK
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)


def parse_launch_args(parser: argparse.ArgumentParser,
                      argv: Optional[Sequence[str]] = None
                      ) -> argparse.Namespace:
    """Parse ``argv`` and export ``--local-rank`` as ``LOCAL_RANK``."""
    args = parser.parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def default_work_dir(config_path: str) -> str:
    """``./work_dirs/<config stem>``, MMPose's default work directory."""
    return osp.join('./work_dirs', osp.splitext(osp.basename(config_path))[0])


def _check_launcher(launcher: str) -> None:
    if launcher not in LAUNCHERS:
        raise UsageError(f'launcher {launcher!r} is not one of {LAUNCHERS}')


def merge_train_args(cfg: Config,
                     config_path: str,
                     work_dir: Optional[str] = None,
                     resume: Optional[str] = None,
                     amp: bool = False,
                     launcher: str = 'none',
                     cfg_options: Optional[dict] = None) -> Config:
    """Apply ``tools/train.py`` arguments to ``cfg`` in place.

    Args:
        cfg (Config): The config read from ``config_path``.
        config_path (str): Its path (names the default work directory).
        work_dir (str, optional): ``--work-dir``. Defaults to None (the
            config's ``work_dir`` or ``./work_dirs/<config stem>``).
        resume (str, optional): ``--resume``: ``'auto'`` for the newest
            checkpoint in the work directory, or a checkpoint path.
            Defaults to None (no resume).
        amp (bool): ``--amp``: train with ``AmpOptimWrapper``. Defaults to
            False.
        launcher (str): One of ``none``, ``pytorch``, ``slurm``, ``mpi``.
            Defaults to ``'none'``.
        cfg_options (dict, optional): ``--cfg-options``, applied last.
            Defaults to None.

    Returns:
        Config: ``cfg``.

    Raises:
        UsageError: On a bad launcher, a missing resume checkpoint, or
            ``--amp`` with a custom optimizer wrapper.
    """
    _check_launcher(launcher)
    cfg.launcher = launcher
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = default_work_dir(config_path)
    if amp:
        wrapper = cfg.optim_wrapper.get('type', 'OptimWrapper')
        if wrapper not in ('OptimWrapper', 'AmpOptimWrapper'):
            raise UsageError(f'--amp needs optim_wrapper.type OptimWrapper '
                             f'or AmpOptimWrapper, not {wrapper!r}')
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    if resume == 'auto':
        cfg.resume, cfg.load_from = True, None
    elif resume is not None:
        if not osp.isfile(resume):
            raise UsageError(f'checkpoint to resume {resume} does not exist')
        cfg.resume, cfg.load_from = True, resume
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    return cfg


def merge_test_args(cfg: Config,
                    config_path: str,
                    checkpoint: str,
                    work_dir: Optional[str] = None,
                    dump: Optional[str] = None,
                    launcher: str = 'none',
                    cfg_options: Optional[dict] = None) -> Config:
    """Apply ``tools/test.py`` arguments to ``cfg`` in place.

    Args:
        cfg (Config): The config read from ``config_path``.
        config_path (str): Its path (names the default work directory).
        checkpoint (str): The checkpoint to evaluate.
        work_dir (str, optional): ``--work-dir``. Defaults to None.
        dump (str, optional): ``--dump``: a ``.pkl`` file to write the
            predictions to (MMEngine's ``DumpResults``). Defaults to None.
        launcher (str): As in :func:`merge_train_args`.
        cfg_options (dict, optional): ``--cfg-options``, applied last.
            Defaults to None.

    Returns:
        Config: ``cfg``.

    Raises:
        UsageError: On a missing checkpoint, a bad launcher or a ``--dump``
            file that is not ``.pkl``/``.pickle``.
    """
    _check_launcher(launcher)
    if not osp.isfile(checkpoint):
        raise UsageError(f'checkpoint {checkpoint} does not exist')
    cfg.launcher = launcher
    cfg.load_from = checkpoint
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = default_work_dir(config_path)
    if dump is not None:
        if not dump.endswith(('.pkl', '.pickle')):
            raise UsageError(f'--dump {dump}: the file must end with .pkl '
                             'or .pickle')
        dump_metric = dict(type='DumpResults', out_file_path=dump)
        evaluators = cfg.test_evaluator
        if not isinstance(evaluators, (list, tuple)):
            evaluators = [evaluators]
        cfg.test_evaluator = [*evaluators, dump_metric]
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
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


def close_distributed() -> None:
    """Destroy the default process group, if any, before the process exits.

    MMEngine 0.10.7 never calls ``destroy_process_group``. With gloo the
    group's worker threads then outlive the interpreter's teardown and,
    now and then, abort the finished process (SIGABRT, "terminate called
    without an active exception"), so ``torchrun`` reports a failed run
    whose work is complete. The tools call this once training or testing
    returns or raises, whichever launcher started the group.
    """
    if torch_dist.is_available() and torch_dist.is_initialized():
        torch_dist.destroy_process_group()
