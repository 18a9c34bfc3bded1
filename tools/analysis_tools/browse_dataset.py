"""Write images of a config's dataset with the ground-truth keypoints drawn.

    python tools/analysis_tools/browse_dataset.py CONFIG --output-dir DIR
        [--phase {train,val,test}] [--max-items N]
        [--mode {transformed,original}] [--cfg-options K=V ...]

``transformed`` (default) draws the crops the pipeline feeds the model,
augmentation included; ``original`` draws the loaded images and boxes.
"""
import argparse
import sys

from mmengine.config import DictAction


def parse_args(argv=None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description='Browse a dataset')
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
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings')
    return parser.parse_args(argv)


def main(argv=None) -> None:
    """Draw the dataset and print how many images were written."""
    args = parse_args(argv)
    import levitpose  # noqa: F401  registers modules
    from levitpose.engine import UsageError, load_config
    from levitpose.engine.dataset_browser import browse_dataset
    try:
        cfg = load_config(args.config, args.cfg_options)
        written = browse_dataset(cfg, args.output_dir, args.phase,
                                 args.max_items, args.mode)
    except (UsageError, FileNotFoundError) as err:
        sys.exit(f'browse_dataset.py: error: {err}')
    print(f'wrote {len(written)} images to {args.output_dir}')


if __name__ == '__main__':
    main()
