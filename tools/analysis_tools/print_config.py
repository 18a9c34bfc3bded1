"""Print a config after inheritance and ``--cfg-options``.

    python tools/analysis_tools/print_config.py CONFIG [--cfg-options K=V ...]
"""
import argparse
import sys

from mmengine.config import DictAction


def parse_args(argv=None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description='Print the whole config')
    parser.add_argument('config', help='config file path')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, e.g. train_cfg.max_epochs=2')
    return parser.parse_args(argv)


def main(argv=None) -> None:
    """Print ``Config.pretty_text`` of the merged config."""
    args = parse_args(argv)
    from levitpose.engine import UsageError, load_config
    try:
        cfg = load_config(args.config, args.cfg_options)
    except UsageError as err:
        sys.exit(f'print_config.py: error: {err}')
    print(f'Config:\n{cfg.pretty_text}')


if __name__ == '__main__':
    main()
