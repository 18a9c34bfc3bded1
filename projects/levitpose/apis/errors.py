"""Exceptions for bad user input to the inference API and the demo."""

__all__ = ['InvalidInputError', 'MissingFileError']


class InvalidInputError(ValueError):
    """A user-supplied value (path, device, checkpoint...) cannot be used.

    The message is one line naming the bad value and what is expected, so
    command-line tools print it as is instead of a traceback.
    """


class MissingFileError(InvalidInputError, FileNotFoundError):
    """A path given by the user does not exist."""
