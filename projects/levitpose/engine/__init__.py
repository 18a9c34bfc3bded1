"""Training-engine extensions (hooks) registered into MMPose's registries."""
from .hooks import *  # noqa: F401,F403
