"""Read a config file given by the user, with one-line errors."""
import os.path as osp
from typing import Optional

from mmengine.config import Config

from .errors import InvalidInputError, MissingFileError

__all__ = ['load_config']


def load_config(path: str, cfg_options: Optional[dict] = None) -> Config:
    """Parse a config file (its ``custom_imports`` are imported).

    Args:
        path (str): Config file.
        cfg_options (dict, optional): Values merged into the config.
            Defaults to None.

    Returns:
        Config: The parsed config.

    Raises:
        MissingFileError: If ``path`` is not a file.
        InvalidInputError: If it cannot be parsed or imported.
    """
    if not osp.isfile(path):
        raise MissingFileError(f'config {path} does not exist')
    try:
        cfg = Config.fromfile(path)
    except (SyntaxError, ImportError, KeyError, ValueError, TypeError,
            FileNotFoundError, AttributeError) as err:
        detail = str(err).strip().splitlines()[0] if str(err) else ''
        raise InvalidInputError(
            f'cannot load config {path}: {type(err).__name__}: {detail}'
        ) from err
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    return cfg
