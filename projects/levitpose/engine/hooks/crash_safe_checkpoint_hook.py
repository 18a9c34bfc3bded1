"""The configs' checkpoint hook: crash-safe saves, strict loads, and a
``--resume`` that says what it rejected.

Saving. MMEngine 0.10.7 streams a checkpoint straight into ``epoch_N.pth``
through its file backend's ``put``; a SIGKILL (or a full disk) during the
write leaves a truncated ``epoch_N.pth`` that ``last_checkpoint`` names.
This hook makes MMEngine save through the registered ``atomic_local``
backend (:class:`levitpose.utils.AtomicLocalBackend`: a hidden partial file,
fsync'd, then renamed), so every ``*.pth`` is complete, and overrides no
private method of the hook or the Runner. ``last_checkpoint`` is written by
MMEngine with a plain ``open``; :meth:`before_run` repairs it.

Loading. MMEngine loads ``load_from``/``--resume`` checkpoints with
``strict=False``: a checkpoint of another model only logs size-mismatch
warnings and the run evaluates (or trains) a half-random model.
:meth:`after_load_checkpoint`, which MMEngine calls before it copies the
weights, loads them with :func:`levitpose.utils.load_state_dict_strictly`
and so refuses such a checkpoint with one line naming the keys.

Resuming. :meth:`before_run` (called before ``load_or_resume``) removes
partial files of killed saves and, if ``last_checkpoint`` names a missing
or incomplete file, points it at the newest complete checkpoint. When
``--resume`` (auto) finds no usable checkpoint, a WARNING names each file it
rejected and why before training starts from scratch.

Errors. Building the hook makes an uncaught
:class:`~levitpose.utils.LEViTPoseError` print one ``error:`` line
(:func:`levitpose.utils.errors.report_uncaught_in_one_line`): MMPose's own
tools, which ``mim`` runs, do not catch it.

Selected by ``default_hooks.checkpoint.type`` in
``configs/_base_/levitpose_runtime.py``, so it works with any Runner:
``mim train/test mmpose`` (MMPose's tools) and ours alike. Non-local
storage backends keep MMEngine's behaviour.
"""
import glob
import logging
import os
import os.path as osp
import re
from typing import List, Optional, Tuple

from mmengine.dist import barrier, is_main_process
from mmengine.fileio import LocalBackend, get_file_backend
from mmengine.hooks import CheckpointHook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from mmengine.runner import find_latest_checkpoint
from mmpose.registry import HOOKS

from levitpose.utils.atomic_file import (ATOMIC_BACKEND_ARGS, PARTIAL_SUFFIX,
                                         AtomicLocalBackend,
                                         checkpoint_problem)
from levitpose.utils.errors import report_uncaught_in_one_line
from levitpose.utils.strict_load import load_state_dict_strictly, state_dict_of

__all__ = ['CrashSafeCheckpointHook']

LAST_CHECKPOINT = 'last_checkpoint'  # the pointer file MMEngine resumes from


@HOOKS.register_module()
class CrashSafeCheckpointHook(CheckpointHook):
    """:class:`mmengine.hooks.CheckpointHook` with atomic saves and strict
    loads.

    Takes the same arguments as ``CheckpointHook``; without
    ``backend_args`` (and ``file_client_args``) checkpoints are written
    through the ``atomic_local`` backend.
    """

    def __init__(self, *args, **kwargs) -> None:
        if kwargs.get('backend_args') is None and kwargs.get(
                'file_client_args') is None:
            kwargs['backend_args'] = dict(ATOMIC_BACKEND_ARGS)
        super().__init__(*args, **kwargs)
        # The Runner of `mim train/test` (MMPose's tools) catches nothing:
        # a LEViTPoseError raised in it (checkpoint refused, bad data)
        # prints one `error:` line instead of a traceback.
        report_uncaught_in_one_line()

    def _local_out_dir(self, runner) -> Optional[str]:
        """``out_dir`` as ``before_train`` will resolve it, if local.

        MMEngine sets ``out_dir`` and ``file_backend`` in ``before_train``,
        which runs after ``load_or_resume``; the repair must come before.
        """
        out_dir = str(self.out_dir or runner.work_dir)
        if out_dir != runner.work_dir:
            out_dir = osp.join(out_dir,
                               osp.basename(runner.work_dir.rstrip(osp.sep)))
        backend = get_file_backend(out_dir, backend_args=self.backend_args)
        if self.file_client_args is None and isinstance(backend, LocalBackend):
            return out_dir
        return None

    def before_run(self, runner) -> None:
        """Clean up after a killed save, before MMEngine resumes."""
        out_dir = self._local_out_dir(runner)
        if out_dir is not None and is_main_process():
            if osp.isdir(out_dir):
                self._remove_partial_files(out_dir)
            self._repair_last_checkpoint(runner, out_dir)
        barrier()  # other ranks read `last_checkpoint` in load_or_resume

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        """Load the weights strictly, before MMEngine's lenient load.

        Raises:
            CheckpointMismatchError: If the checkpoint does not fit the
                model, naming the keys.
        """
        source = (
            runner.cfg.get('load_from')
            or find_latest_checkpoint(runner.work_dir) or 'being loaded')
        filename = getattr(runner.cfg, 'filename', None)
        target = f'config {filename}' if filename else 'the model'
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        load_state_dict_strictly(model, state_dict_of(checkpoint, source),
                                 source, target)

    def _remove_partial_files(self, out_dir: str) -> None:
        pattern = osp.join(glob.escape(out_dir), f'.*{PARTIAL_SUFFIX}')
        for path in glob.glob(pattern):
            os.remove(path)
            print_log(
                f'Removed {path}, left by an interrupted save.',
                logger='current')

    def _checkpoints(self, out_dir: str) -> List[str]:
        """Checkpoints named by ``filename_tmpl`` in ``out_dir``, newest
        (highest step) first."""
        if not osp.isdir(out_dir):
            return []
        regex = re.compile(
            re.escape(self.filename_tmpl).replace(r'\{\}', r'(\d+)') + '$')
        found = []
        for name in os.listdir(out_dir):
            match = regex.match(name)
            if match:
                found.append((int(match.group(1)), name))
        return [osp.join(out_dir, name) for _, name in sorted(found)[::-1]]

    def _repair_last_checkpoint(self, runner, out_dir: str) -> None:
        pointer = osp.join(runner.work_dir, LAST_CHECKPOINT)
        target: Optional[str] = None
        rejected: List[Tuple[str, str]] = []
        if osp.isfile(pointer):
            with open(pointer) as f:
                target = f.read().strip()
            problem = checkpoint_problem(target) if target else None
            if target and problem is None:
                return
            rejected.append((pointer, f'it names {target!r}, but {problem}'
                             if target else 'it is empty'))
        newest = None
        for path in self._checkpoints(out_dir):
            problem = checkpoint_problem(path)
            if problem is None:
                newest = path
                break
            rejected.append((path, problem))
        auto_resume = runner.cfg.get('resume',
                                     False) and not runner.cfg.get('load_from')
        level = logging.WARNING if auto_resume and rejected else logging.INFO
        reasons = '; '.join(f'rejected {path}: {why}'
                            for path, why in rejected)
        if newest is not None:
            AtomicLocalBackend().put_text(newest, pointer)
            print_log(
                f'{reasons + "; " if reasons else ""}{pointer} now names '
                f'{newest}, the newest complete checkpoint.',
                logger='current',
                level=level)
            return
        if target is not None:
            os.remove(pointer)
        if auto_resume:
            print_log(
                f'--resume found no usable checkpoint in {out_dir}'
                f'{": " + reasons if reasons else ""}; training starts '
                'from scratch.',
                logger='current',
                level=logging.WARNING)
        elif reasons:
            print_log(reasons, logger='current', level=logging.INFO)
