"""A ``CheckpointHook`` whose saves survive being killed half-way.

MMEngine 0.10.7 streams a checkpoint straight into ``epoch_N.pth``, writes
``last_checkpoint`` in place, and deletes the oldest kept checkpoint
*before* saving the new one. A SIGKILL during a save can therefore leave a
truncated ``epoch_N.pth`` that ``last_checkpoint`` (or the user) points to,
an empty ``last_checkpoint``, or no checkpoint at all. This hook:

* writes every checkpoint to a hidden ``.{name}.{pid}.partial`` file in the
  same folder, fsyncs it and renames it (:func:`commit_file`), so a
  ``*.pth`` is always complete;
* rewrites ``last_checkpoint`` atomically, after the checkpoint is in place,
  and only then removes the checkpoint that ``max_keep_ckpts`` retires;
* in ``before_run`` (which MMEngine calls before ``load_or_resume``),
  removes partial files of killed saves and, if ``last_checkpoint`` names a
  missing or incomplete file, points it at the newest complete checkpoint,
  so ``--resume`` (auto) continues from the last complete one.

Selected by ``default_hooks.checkpoint.type`` in
``configs/_base_/levitpose_runtime.py``, so it works with any Runner:
``mim train mmpose`` (MMPose's ``tools/train.py``) and ours alike.
Non-local storage backends fall back to MMEngine's behaviour.
"""
import glob
import os
import os.path as osp
import re
from typing import Any, Iterator, Optional

from mmengine.dist import barrier, is_main_process
from mmengine.fileio import LocalBackend, get_file_backend
from mmengine.hooks import CheckpointHook
from mmengine.logging import print_log
from mmpose.registry import HOOKS

from levitpose.utils.atomic_file import (PARTIAL_SUFFIX, atomic_write_text,
                                         commit_file, is_complete_checkpoint,
                                         partial_file_name)

__all__ = ['CrashSafeCheckpointHook']

LAST_CHECKPOINT = 'last_checkpoint'  # the pointer file MMEngine resumes from


class _AtomicSaveRunner:
    """Runner proxy whose ``save_checkpoint`` goes through the hook."""

    def __init__(self, runner: Any, hook: 'CrashSafeCheckpointHook') -> None:
        self._runner = runner
        self._hook = hook

    def __getattr__(self, name: str) -> Any:
        return getattr(self._runner, name)

    def save_checkpoint(self, out_dir: str, filename: str, *args,
                        **kwargs) -> None:
        self._hook._save_atomically(self._runner, out_dir, filename, *args,
                                    **kwargs)


@HOOKS.register_module()
class CrashSafeCheckpointHook(CheckpointHook):
    """:class:`mmengine.hooks.CheckpointHook` with crash-safe saving.

    Takes the same arguments as ``CheckpointHook``.
    """

    def _is_local(self) -> bool:
        return isinstance(getattr(self, 'file_backend', None), LocalBackend)

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
        if out_dir is not None and is_main_process() and osp.isdir(out_dir):
            self._remove_partial_files(out_dir)
            self._repair_last_checkpoint(runner, out_dir)
        barrier()  # other ranks read `last_checkpoint` in load_or_resume

    def _remove_partial_files(self, out_dir: str) -> None:
        pattern = osp.join(glob.escape(out_dir), f'.*{PARTIAL_SUFFIX}')
        for path in glob.glob(pattern):
            os.remove(path)
            print_log(
                f'Removed {path}, left by an interrupted save.',
                logger='current')

    def _complete_checkpoints(self, out_dir: str) -> Iterator[str]:
        """Complete checkpoints named by ``filename_tmpl`` in ``out_dir``,
        newest (highest step) first, checked lazily."""
        regex = re.compile(
            re.escape(self.filename_tmpl).replace(r'\{\}', r'(\d+)') + '$')
        found = []
        for name in os.listdir(out_dir):
            match = regex.match(name)
            if match:
                found.append((int(match.group(1)), name))
        for _, name in sorted(found, reverse=True):
            path = osp.join(out_dir, name)
            if is_complete_checkpoint(path):
                yield path

    def _repair_last_checkpoint(self, runner, out_dir: str) -> None:
        pointer = osp.join(runner.work_dir, LAST_CHECKPOINT)
        target: Optional[str] = None
        if osp.isfile(pointer):
            with open(pointer) as f:
                target = f.read().strip()
            if target and is_complete_checkpoint(target):
                return
        newest = next(self._complete_checkpoints(out_dir), None)
        if newest is not None:
            atomic_write_text(pointer, newest)
            was = ('was missing' if target is None else
                   f'named {target!r}, which is missing or incomplete')
            print_log(
                f'{pointer} {was}; it now names {newest}, the newest '
                'complete checkpoint.',
                logger='current')
        elif target is not None:
            os.remove(pointer)
            print_log(
                f'Removed {pointer}: it named {target!r}, which is missing '
                'or incomplete, and no complete checkpoint was found.',
                logger='current')

    def _save_atomically(self, runner, out_dir: str, filename: str, *args,
                         **kwargs) -> None:
        """``runner.save_checkpoint`` into a partial file, then commit it."""
        partial = partial_file_name(filename)
        runner.save_checkpoint(out_dir, partial, *args, **kwargs)
        if is_main_process():
            commit_file(
                osp.join(out_dir, partial), osp.join(out_dir, filename))

    def _save_checkpoint_with_step(self, runner, step, meta) -> None:
        """Save, update ``last_checkpoint``, then retire old checkpoints."""
        if not self._is_local():
            super()._save_checkpoint_with_step(runner, step, meta)
            return
        runner = getattr(runner, '_runner', runner)  # unwrap the proxy
        retired = None
        if self.max_keep_ckpts > 0 and not (self.keep_ckpt_ids and
                                            self.keep_ckpt_ids[-1] == step):
            if len(self.keep_ckpt_ids) == self.max_keep_ckpts:
                retired = self.keep_ckpt_ids.popleft()
            self.keep_ckpt_ids.append(step)
            runner.message_hub.update_info('keep_ckpt_ids',
                                           list(self.keep_ckpt_ids))
        filename = self.filename_tmpl.format(step)
        self.last_ckpt = osp.join(self.out_dir, filename)
        runner.message_hub.update_info('last_ckpt', self.last_ckpt)
        self._save_atomically(
            runner,
            self.out_dir,
            filename,
            self.file_client_args,
            save_optimizer=self.save_optimizer,
            save_param_scheduler=self.save_param_scheduler,
            meta=meta,
            by_epoch=self.by_epoch,
            backend_args=self.backend_args,
            **self.args)
        if not is_main_process():
            return
        atomic_write_text(
            osp.join(runner.work_dir, LAST_CHECKPOINT), self.last_ckpt)
        if retired is not None and retired != step:
            path = osp.join(self.out_dir, self.filename_tmpl.format(retired))
            if osp.isfile(path):
                os.remove(path)

    def _save_best_checkpoint(self, runner, metrics) -> None:
        """MMEngine's best-checkpoint logic, with atomic writes."""
        if not self._is_local():
            super()._save_best_checkpoint(runner, metrics)
            return
        super()._save_best_checkpoint(_AtomicSaveRunner(runner, self), metrics)
