"""Top-down pose demo: detect people, estimate and draw their keypoints.

Works offline with nothing but ``--input``: the pose model defaults to
LEViTPose-T (COCO, 17 keypoints) with the checkpoint this repository ships
(if any), and people are found by a built-in fallback detector (OpenCV HOG)
unless an MMDetection config and checkpoint are given. MMPose's interface::

    python demo/topdown_demo_with_mmdet.py [det_config det_checkpoint
        [pose_config [pose_checkpoint]]] --input PATH --output-root DIR
        [--save-predictions] ...

The options and the logic live in :mod:`levitpose.demo_app`. Errors: one
``error:`` line on stderr, exit status 2 (usage) or 1 (bad input); a folder
or video with unreadable items processes all the others, then exits 1.
"""
import argparse
import functools
import os.path as osp
import sys
import warnings

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
# library warnings that tell a demo user nothing (libraries reset warning
# filters, so they are dropped where they are shown instead)
QUIET_WARNINGS = ('The metainfo config file', 'checkpoint is None', 'save_dir',
                  'pkg_resources is deprecated', 'torch.cuda.amp.autocast',
                  'torch.meshgrid')
INTERRUPTED = ('interrupted; finished outputs are complete, no partial file '
               'was left')


def import_levitpose() -> None:
    """Import ``levitpose`` (registers its modules, safe loading), from the
    repository's ``projects/`` when it was not installed."""
    try:
        import levitpose  # noqa: F401
    except ModuleNotFoundError as err:  # a clone that was not installed
        if err.name != 'levitpose':
            raise
        sys.path.insert(0, osp.join(REPO_ROOT, 'projects'))


def parse_args(argv=None) -> argparse.Namespace:
    """Parse the command line (options declared by ``DemoOptions``)."""
    import_levitpose()
    from levitpose.cli import ToolParser
    from levitpose.demo_app import add_demo_arguments
    parser = ToolParser(description=__doc__.splitlines()[0])
    add_demo_arguments(parser)
    return parser.parse_args(argv)


def quiet_showwarning(show):
    """Wrap ``warnings.showwarning`` to drop :data:`QUIET_WARNINGS`."""

    def showwarning(message, *args, **kwargs):
        if not any(quiet in str(message) for quiet in QUIET_WARNINGS):
            show(message, *args, **kwargs)

    return showwarning


def run(args: argparse.Namespace) -> None:
    """Run the demo with parsed arguments."""
    from levitpose.demo_app import options_from_args, run_topdown_demo
    run_topdown_demo(options_from_args(args))


def main(argv=None) -> int:
    """Run the demo; returns the exit status."""
    args = parse_args(argv)
    from levitpose.cli import run_tool
    show = warnings.showwarning
    warnings.showwarning = quiet_showwarning(show)
    try:
        return run_tool(functools.partial(run, args), INTERRUPTED)
    finally:
        warnings.showwarning = show


if __name__ == '__main__':
    sys.exit(main())
