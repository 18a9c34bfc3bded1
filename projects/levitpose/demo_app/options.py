"""The demo's options, declared once.

:class:`DemoOptions` is the single declaration: each field's metadata
holds its command-line help, :func:`add_demo_arguments` builds the
``argparse`` options from the fields (``--pose-config`` for
``pose_config`` ...) and :func:`options_from_args` builds the dataclass
back from the parsed namespace. A new option is one new field.
"""
import argparse
import dataclasses
import os
import os.path as osp
import sys
import typing
from dataclasses import dataclass, field
from typing import Optional

from ..utils.errors import InvalidInputError, UsageError

__all__ = [
    'DemoOptions', 'MODEL_ARGS', 'DEFAULT_POSE_CONFIG',
    'DEFAULT_POSE_CHECKPOINT', 'VIDEO_DET_INTERVAL', 'add_demo_arguments',
    'options_from_args', 'check_options', 'resolve_pose_model'
]

#: MMPose's positional interface: ``[det_config det_checkpoint
#: [pose_config [pose_checkpoint]]]``.
MODEL_ARGS = ('det_config', 'det_checkpoint', 'pose_config', 'pose_checkpoint')
#: The pose model used without ``--pose-config``, relative to the repository.
DEFAULT_POSE_CONFIG = osp.join('configs', 'body_2d_keypoint',
                               'topdown_heatmap', 'coco',
                               'td-hm_levitpose-t_8xb64-210e_coco-256x256.py')
DEFAULT_POSE_CHECKPOINT = osp.join('checkpoints',
                                   'levitpose-t_sample-coco-256x256.pth')
SHIPPED_CHECKPOINT_NOTE = (
    'the checkpoint shipped with the repository, trained only on the 4 '
    'bundled COCO sample images: expect rough keypoints on other images')
# the repository holding this package (projects/levitpose/demo_app)
REPO_ROOT = osp.dirname(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
#: The detection interval of tracked video without ``--det-interval``,
#: chosen by measurement (``docs/demo.md``, *Choosing the video
#: defaults*): on the bundled pans every 5th frame finds as many
#: people-frames as every frame with no more id switches
#: (``tools/analysis_tools/track_eval.py``), at several times the frames/s
#: (``tools/analysis_tools/video_benchmark.py``); every 10th frame finds
#: people who come into view up to 9 frames late.
VIDEO_DET_INTERVAL = 5
UNIT_INTERVAL = ('bbox_thr', 'nms_thr', 'kpt_thr', 'alpha')
NON_NEGATIVE = ('radius', 'thickness')


def _option(default, help: str, cli: bool = True):
    """A dataclass field with its command-line help (``cli=False``: not a
    command-line option)."""
    return field(default=default, metadata=dict(help=help, cli=cli))


@dataclass
class DemoOptions:
    """Options of :func:`~levitpose.demo_app.run_topdown_demo` (the demo's
    command line: ``--<name with dashes>``)."""
    input: str = field(
        metadata=dict(
            help='an image, a folder of images, a video, or "webcam" '
            '(camera 0)',
            cli=True))
    pose_config: Optional[str] = _option(
        None, f'pose config file (default: {DEFAULT_POSE_CONFIG})')
    pose_checkpoint: Optional[str] = _option(
        None, f'pose checkpoint (default: {DEFAULT_POSE_CHECKPOINT} with '
        'the default config, if present; else initial weights)')
    pose_checkpoint_note: Optional[str] = _option(
        None, 'what to say about the checkpoint', cli=False)
    det_config: Optional[str] = _option(
        None, 'MMDetection config file (default: the built-in HOG people '
        'detector)')
    det_checkpoint: Optional[str] = _option(None, 'MMDetection checkpoint')
    output_root: str = _option(
        'vis_results', 'folder for drawn outputs and predictions (default: '
        'vis_results)')
    save_predictions: bool = _option(False,
                                     'also write MMPose\'s prediction JSON')
    show: bool = _option(False, 'show results in a window')
    device: str = _option('cpu', 'cpu or cuda:N (default: cpu)')
    det_cat_id: int = _option(0, 'person category id of the detector')
    bbox_thr: float = _option(0.3, 'box score threshold')
    nms_thr: float = _option(0.3, 'IoU threshold for box NMS')
    kpt_thr: float = _option(
        0.3, 'keypoint score threshold: lower keypoints are not drawn, nor '
        'used to refine boxes or track people')
    draw_heatmap: bool = _option(False, 'draw predicted heatmaps')
    draw_bbox: bool = _option(False, 'draw person boxes')
    radius: int = _option(3, 'keypoint radius')
    thickness: int = _option(1, 'skeleton line width')
    alpha: float = _option(0.8, 'box transparency')
    det_interval: Optional[int] = _option(
        None, 'video: run the person detector on every N-th frame; tracked '
        'people are followed from their keypoints in between (default '
        f'{VIDEO_DET_INTERVAL}, chosen by measurement; 1 with --no-track)')
    no_track: bool = _option(
        False, 'video: no tracking (every frame on its own: detection on '
        'each, no ids, no smoothing)')
    no_smooth: bool = _option(
        False, 'video: do not smooth tracked keypoints (One-Euro filter)')
    no_box_refinement: bool = _option(
        False, 'use the detector\'s boxes as they are (no pose-guided box '
        'refinement, no dropping of unconfident poses)')

    def video_det_interval(self) -> int:
        """The detection interval used on video: ``det_interval``, or
        :data:`VIDEO_DET_INTERVAL` when tracking (1 with ``no_track``)."""
        if self.det_interval is not None:
            return self.det_interval
        return 1 if self.no_track else VIDEO_DET_INTERVAL


def _flag(name: str) -> str:
    return '--' + name.replace('_', '-')


def add_demo_arguments(parser: argparse.ArgumentParser) -> None:
    """Add one option per command-line field of :class:`DemoOptions`, and
    MMPose's positional model arguments (:data:`MODEL_ARGS`)."""
    for name in MODEL_ARGS:
        parser.add_argument(
            f'pos_{name}',
            nargs='?',
            metavar=name,
            help=f'same as {_flag(name)}')
    hints = typing.get_type_hints(DemoOptions)
    for spec in dataclasses.fields(DemoOptions):
        if not spec.metadata['cli']:
            continue
        kind = hints[spec.name]
        kwargs = dict(help=spec.metadata['help'])
        if kind is bool:
            kwargs['action'] = 'store_true'
        else:
            kwargs['type'] = next(
                (t for t in typing.get_args(kind) if t is not type(None)),
                kind)
            if spec.default is dataclasses.MISSING:
                kwargs['required'] = True
            else:
                kwargs['default'] = spec.default
        parser.add_argument(_flag(spec.name), **kwargs)


def options_from_args(args: argparse.Namespace) -> DemoOptions:
    """The :class:`DemoOptions` of a namespace parsed by a parser with
    :func:`add_demo_arguments`; a model given both as positional and as
    option must be the same.

    Raises:
        UsageError: If a model is given twice, differently.
    """
    values = {}
    for name in MODEL_ARGS:
        positional, named = getattr(args, f'pos_{name}'), getattr(args, name)
        if positional is not None and named is not None \
                and positional != named:
            raise UsageError(f'{name} given twice: {positional} and '
                             f'{_flag(name)} {named}')
        values[name] = named if named is not None else positional
    for spec in dataclasses.fields(DemoOptions):
        if spec.metadata['cli'] and spec.name not in values:
            values[spec.name] = getattr(args, spec.name)
    return DemoOptions(**values)


def check_options(opts: DemoOptions) -> None:
    """Refuse option values no run could use.

    Raises:
        UsageError: Naming the option (as its command-line flag).
    """
    for name in UNIT_INTERVAL:
        value = getattr(opts, name)
        if not 0. <= value <= 1.:  # also refuses NaN
            raise UsageError(f'{_flag(name)} must be in [0, 1]; got {value}')
    for name in NON_NEGATIVE:
        if getattr(opts, name) < 0:
            raise UsageError(
                f'{_flag(name)} must be >= 0; got {getattr(opts, name)}')
    if opts.det_interval is not None and opts.det_interval < 1:
        raise UsageError(f'--det-interval must be >= 1; got '
                         f'{opts.det_interval}')
    if opts.no_track and opts.det_interval not in (None, 1):
        raise UsageError('--det-interval needs tracking: drop --no-track')
    if opts.det_checkpoint is not None and opts.det_config is None:
        raise UsageError('--det-checkpoint needs --det-config')
    if opts.det_config is not None and opts.det_checkpoint is None:
        raise UsageError('--det-config needs --det-checkpoint')
    if osp.exists(opts.output_root) and not osp.isdir(opts.output_root):
        raise UsageError(f'--output-root {opts.output_root} is a file, not '
                         'a folder; choose a folder (it is created if '
                         'missing)')
    if opts.show and sys.platform.startswith('linux') and not (
            os.environ.get('DISPLAY') or os.environ.get('WAYLAND_DISPLAY')):
        raise UsageError(
            '--show needs a display, but neither DISPLAY nor WAYLAND_DISPLAY '
            'is set; drop --show and read the outputs in --output-root')


def _in_repo(relative: str) -> str:
    """A path in the repository, relative to the working directory when it
    lies below it (shorter messages), else absolute."""
    path = osp.join(REPO_ROOT, relative)
    shorter = osp.relpath(path)
    return path if shorter.startswith('..') else shorter


def resolve_pose_model(opts: DemoOptions) -> DemoOptions:
    """Fill in the default pose model: without ``pose_config``, LEViTPose-T
    (COCO) and, if neither config nor checkpoint was given, the checkpoint
    the repository ships (if present), with a note on what it is.

    Returns:
        DemoOptions: A copy with ``pose_config`` set.

    Raises:
        InvalidInputError: If the default config is not there (the package
            was installed without the repository).
    """
    if opts.pose_config is not None:
        return opts
    config = _in_repo(DEFAULT_POSE_CONFIG)
    if not osp.isfile(config):
        raise InvalidInputError(
            f'no --pose-config given and the default config {config} is '
            'missing (levitpose installed without its repository?)')
    checkpoint, note = opts.pose_checkpoint, opts.pose_checkpoint_note
    shipped = _in_repo(DEFAULT_POSE_CHECKPOINT)
    if checkpoint is None and osp.isfile(shipped):
        checkpoint, note = shipped, SHIPPED_CHECKPOINT_NOTE
    return dataclasses.replace(
        opts,
        pose_config=config,
        pose_checkpoint=checkpoint,
        pose_checkpoint_note=note)
