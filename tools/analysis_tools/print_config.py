"""Print a config after inheritance and ``--cfg-options``.

    python tools/analysis_tools/print_config.py CONFIG [--cfg-options K=V ...]
"""
import argparse
import functools
import sys

from levitpose.cli import ToolParser, add_cfg_options, run_tool
from levitpose.utils import load_config


def parse_args(argv=None) -> argparse.Namespace:
    """Parse the command line."""
    parser = ToolParser(description='Print the whole config')
    parser.add_argument('config', help='config file path')
    add_cfg_options(parser, 'train_cfg.max_epochs=2')
    return parser.parse_args(argv)


def print_config(args: argparse.Namespace) -> None:
    """Print ``Config.pretty_text`` of the merged config."""
    cfg = load_config(args.config, args.cfg_options)
    print(f'Config:\n{cfg.pretty_text}')


def main(argv=None) -> int:
    """Run the tool; returns the exit status."""
    return run_tool(functools.partial(print_config, parse_args(argv)))


if __name__ == '__main__':
    sys.exit(main())
