"""Read a config named by the user, and build from it, with one-line errors.
"""
import os.path as osp
from contextlib import contextmanager
from typing import Iterator, Optional

from mmengine.config import Config

from .errors import (InvalidInputError, LEViTPoseError, MissingFileError,
                     describe_error)

__all__ = ['MMPOSE_PREFIX', 'resolve_config', 'load_config', 'config_errors']

#: Prefix of config names inside the installed MMPose, as in ``_base_``.
MMPOSE_PREFIX = 'mmpose::'
# what building a registered module from a bad config raises
_BUILD_ERRORS = (KeyError, TypeError, ValueError, AttributeError,
                 AssertionError, IndexError)


def resolve_config(config: str) -> str:
    """The file of ``config``: a path, or ``mmpose::<path under configs>``.

    Args:
        config (str): A config path or an ``mmpose::`` name.

    Returns:
        str: An existing file path.

    Raises:
        MissingFileError: If the file does not exist.
    """
    path = config
    if config.startswith(MMPOSE_PREFIX):
        import mmpose
        path = osp.join(
            osp.dirname(mmpose.__file__), '.mim', 'configs',
            config[len(MMPOSE_PREFIX):])
    if not osp.isfile(path):
        raise MissingFileError(f'config {config} does not exist')
    return path


def load_config(config: str, cfg_options: Optional[dict] = None) -> Config:
    """Parse a config file (its ``custom_imports`` are imported).

    Args:
        config (str): Config file, or an ``mmpose::`` name.
        cfg_options (dict, optional): Values merged into the config
            (``--cfg-options``). Defaults to None.

    Returns:
        Config: The parsed config.

    Raises:
        MissingFileError: If the file does not exist.
        InvalidInputError: If it cannot be parsed or imported.
    """
    path = resolve_config(config)
    try:
        cfg = Config.fromfile(path)
    except (SyntaxError, ImportError, FileNotFoundError,
            *_BUILD_ERRORS) as err:
        raise InvalidInputError(
            f'cannot load config {config}: {describe_error(err)}') from err
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    return cfg


@contextmanager
def config_errors(what: str) -> Iterator[None]:
    """Turn what building ``what`` from a config raises into one line.

    Registries raise ``KeyError`` for an unknown ``type`` and pass on the
    ``TypeError``/``ValueError``... of a module refusing its arguments
    (``--cfg-options model.backbone.arch=huge``).

    Args:
        what (str): What is built, e.g. ``'a pose model from config x.py'``.

    Raises:
        InvalidInputError: ``cannot build {what}: {Type}: {first line}``.
    """
    try:
        yield
    except LEViTPoseError:
        raise
    except _BUILD_ERRORS as err:
        raise InvalidInputError(
            f'cannot build {what}: {describe_error(err)}') from err
