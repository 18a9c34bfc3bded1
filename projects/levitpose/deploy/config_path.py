"""Resolve ``mmpose::`` config names to files of the installed MMPose."""
import os

__all__ = ['resolve_config']

MMPOSE_PREFIX = 'mmpose::'


def resolve_config(config: str) -> str:
    """The file of ``config``: a path, or ``mmpose::<path under configs>``.

    Args:
        config (str): A config path or an ``mmpose::`` name.

    Returns:
        str: An existing file path.

    Raises:
        FileNotFoundError: If the file does not exist.
    """
    path = config
    if config.startswith(MMPOSE_PREFIX):
        import mmpose
        path = os.path.join(
            os.path.dirname(mmpose.__file__), '.mim', 'configs',
            config[len(MMPOSE_PREFIX):])
    if not os.path.isfile(path):
        raise FileNotFoundError(f'config not found: {config!r}')
    return path
