"""Write images of a config's dataset with the ground-truth keypoints drawn.

    python tools/analysis_tools/browse_dataset.py CONFIG --output-dir DIR
        [--phase {train,val,test}] [--max-items N]
        [--mode {transformed,original}] [--cfg-options K=V ...]

``transformed`` (default) draws the crops the pipeline feeds the model,
augmentation included; ``original`` draws the loaded images and boxes.
"""
import argparse
import functools
import sys

from levitpose.cli import ToolParser, add_cfg_options, run_tool
from levitpose.utils import load_config


def parse_args(argv=None) -> argparse.Namespace:
    """Parse the command line."""
    parser = ToolParser(description='Browse a dataset')
    parser.add_argument('config', help='config file path')
    parser.add_argument(
        '--output-dir', required=True, help='folder for the images')
    parser.add_argument(
        '--phase',
        default='train',
        choices=['train', 'val', 'test'],
        help='which data loader to draw')
    parser.add_argument(
        '--max-items',
        type=int,
        default=50,
        help='draw at most this many instances')
    parser.add_argument(
        '--mode',
        default='transformed',
        choices=['transformed', 'original'],
        help='pipeline crops or loaded images')
    add_cfg_options(parser, 'train_dataloader.batch_size=2')
    return parser.parse_args(argv)


def browse(args: argparse.Namespace) -> None:
    """Draw the dataset and print how many images were written."""
    from levitpose.visualization.dataset_browser import browse_dataset
    cfg = load_config(args.config, args.cfg_options)
    written = browse_dataset(cfg, args.output_dir, args.phase, args.max_items,
                             args.mode)
    print(f'wrote {len(written)} images to {args.output_dir}')


def main(argv=None) -> int:
    """Run the tool; returns the exit status."""
    return run_tool(functools.partial(browse, parse_args(argv)))


if __name__ == '__main__':
    sys.exit(main())
