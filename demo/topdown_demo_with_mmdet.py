"""Top-down pose demo: detect people, estimate and draw their keypoints.

Works offline with nothing but ``--input``: the pose model defaults to
LEViTPose-T (COCO, 17 keypoints) with the checkpoint this repository ships
(if any), and people are found by a built-in fallback detector (OpenCV HOG)
unless an MMDetection config and checkpoint are given. MMPose's interface::

    python demo/topdown_demo_with_mmdet.py [det_config det_checkpoint
        [pose_config [pose_checkpoint]]] --input PATH --output-root DIR
        [--save-predictions] ...

The logic lives in :mod:`levitpose.apis.topdown_demo`; bad input prints one
``error:`` line on stderr and exits with status 1.
"""
import argparse
import os.path as osp
import sys
import warnings

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
DEFAULT_POSE_CONFIG = osp.join('configs', 'body_2d_keypoint',
                               'topdown_heatmap', 'coco',
                               'td-hm_levitpose-t_8xb64-210e_coco-256x256.py')
DEFAULT_POSE_CHECKPOINT = osp.join('checkpoints',
                                   'levitpose-t_sample-coco-256x256.pth')
SHIPPED_CHECKPOINT_NOTE = (
    'the checkpoint shipped with the repository, trained only on the 4 '
    'bundled COCO sample images: expect rough keypoints on other images')
MODEL_ARGS = ('det_config', 'det_checkpoint', 'pose_config', 'pose_checkpoint')
# library warnings that tell a demo user nothing (libraries reset warning
# filters, so they are dropped where they are shown instead)
QUIET_WARNINGS = ('The metainfo config file', 'checkpoint is None', 'save_dir',
                  'pkg_resources is deprecated', 'torch.cuda.amp.autocast',
                  'torch.meshgrid')


class OneLineParser(argparse.ArgumentParser):
    """Reports usage errors in one line on stderr (exit status 2)."""

    def error(self, message: str) -> None:
        self.exit(2, f'error: {message} (see --help)\n')


def parse_args(argv=None) -> argparse.Namespace:
    parser = OneLineParser(description=__doc__.splitlines()[0])
    for name in MODEL_ARGS:
        parser.add_argument(
            f'pos_{name}',
            nargs='?',
            metavar=name,
            help=f'same as --{name.replace("_", "-")}')
    parser.add_argument('--det-config', help='MMDetection config file')
    parser.add_argument('--det-checkpoint', help='MMDetection checkpoint')
    parser.add_argument(
        '--pose-config',
        help=f'pose config file (default: {DEFAULT_POSE_CONFIG})')
    parser.add_argument(
        '--pose-checkpoint',
        help='pose checkpoint (default: ' + DEFAULT_POSE_CHECKPOINT +
        ' with the default config, if present; else initial weights)')
    parser.add_argument(
        '--input',
        required=True,
        help='an image, a folder of images, or a video')
    parser.add_argument(
        '--output-root',
        default='vis_results',
        help='folder for drawn outputs and predictions (default: '
        'vis_results)')
    parser.add_argument(
        '--save-predictions',
        action='store_true',
        help='also write MMPose\'s prediction JSON')
    parser.add_argument(
        '--show', action='store_true', help='show results in a window')
    parser.add_argument(
        '--device', default='cpu', help='cpu or cuda:N (default: cpu)')
    parser.add_argument(
        '--det-cat-id',
        type=int,
        default=0,
        help='person category id of the detector')
    parser.add_argument(
        '--bbox-thr', type=float, default=0.3, help='box score threshold')
    parser.add_argument(
        '--nms-thr', type=float, default=0.3, help='IoU threshold for box NMS')
    parser.add_argument(
        '--kpt-thr',
        type=float,
        default=0.3,
        help='keypoint score threshold for drawing')
    parser.add_argument(
        '--draw-heatmap', action='store_true', help='draw predicted heatmaps')
    parser.add_argument(
        '--draw-bbox', action='store_true', help='draw person boxes')
    parser.add_argument(
        '--radius', type=int, default=3, help='keypoint radius')
    parser.add_argument(
        '--thickness', type=int, default=1, help='skeleton line width')
    parser.add_argument(
        '--alpha', type=float, default=0.8, help='box transparency')
    args = parser.parse_args(argv)
    for name in MODEL_ARGS:
        positional, named = getattr(args, f'pos_{name}'), getattr(args, name)
        if positional is not None and named is not None \
                and positional != named:
            parser.error(f'{name} given twice: {positional} and --'
                         f'{name.replace("_", "-")} {named}')
        setattr(args, name, named if named is not None else positional)
    return args


def in_repo(*parts: str) -> str:
    """A path in the repository, relative to the working directory when it
    lies below it (shorter messages), else absolute."""
    path = osp.join(REPO_ROOT, *parts)
    relative = osp.relpath(path)
    return path if relative.startswith('..') else relative


def resolve_pose_model(args: argparse.Namespace):
    """The pose config, checkpoint and a note about the checkpoint."""
    if args.pose_config is not None:
        return args.pose_config, args.pose_checkpoint, None
    config = in_repo(DEFAULT_POSE_CONFIG)
    if args.pose_checkpoint is not None:
        return config, args.pose_checkpoint, None
    checkpoint = in_repo(DEFAULT_POSE_CHECKPOINT)
    if osp.isfile(checkpoint):
        return config, checkpoint, SHIPPED_CHECKPOINT_NOTE
    return config, None, None


def quiet_showwarning(show):
    """Wrap ``warnings.showwarning`` to drop :data:`QUIET_WARNINGS`."""

    def showwarning(message, *args, **kwargs):
        if not any(quiet in str(message) for quiet in QUIET_WARNINGS):
            show(message, *args, **kwargs)

    return showwarning


def main(argv=None) -> int:
    """Run the demo; returns the exit status."""
    args = parse_args(argv)
    show = warnings.showwarning
    warnings.showwarning = quiet_showwarning(show)
    try:
        return run(args)
    finally:
        warnings.showwarning = show


def run(args: argparse.Namespace) -> int:
    """Run the demo with parsed arguments; returns the exit status."""
    try:
        import levitpose  # noqa: F401  registers LEViTPose, safe loading
    except ModuleNotFoundError as err:  # a clone that was not installed
        if err.name != 'levitpose':
            raise
        sys.path.insert(0, osp.join(REPO_ROOT, 'projects'))
    from levitpose.apis import DemoOptions, InvalidInputError, run_topdown_demo
    from levitpose.utils import UnsafeCheckpointError

    pose_config, pose_checkpoint, note = resolve_pose_model(args)
    opts = DemoOptions(
        input=args.input,
        pose_config=pose_config,
        pose_checkpoint=pose_checkpoint,
        pose_checkpoint_note=note,
        det_config=args.det_config,
        det_checkpoint=args.det_checkpoint,
        output_root=args.output_root,
        save_predictions=args.save_predictions,
        show=args.show,
        device=args.device,
        det_cat_id=args.det_cat_id,
        bbox_thr=args.bbox_thr,
        nms_thr=args.nms_thr,
        kpt_thr=args.kpt_thr,
        draw_heatmap=args.draw_heatmap,
        draw_bbox=args.draw_bbox,
        radius=args.radius,
        thickness=args.thickness,
        alpha=args.alpha)
    try:
        run_topdown_demo(opts)
    except (InvalidInputError, UnsafeCheckpointError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(
            'error: interrupted; finished outputs are complete, no '
            'partial file was left',
            file=sys.stderr)
        return 130
    return 0


if __name__ == '__main__':
    sys.exit(main())
