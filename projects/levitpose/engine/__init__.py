"""Training-engine extensions: hooks registered into MMPose's ``HOOKS``
(as ``mmpose/engine/hooks``). Command-line plumbing lives in
:mod:`levitpose.cli`, which ``import levitpose`` does not import."""
from .hooks import *  # noqa: F401,F403
from .hooks import __all__  # noqa: F401
