"""LEViTPose: a lightweight, efficient vision-transformer pose estimator.

Importing this package registers its modules (backbones, heads, hooks) into
MMPose's registries, so MMPose configs can use them through
``custom_imports = dict(imports=['levitpose'])``.
"""
from . import datasets  # noqa: F401  registers validated datasets
from . import engine  # noqa: F401  registers hooks into mmpose HOOKS
from . import evaluation  # noqa: F401  registers into mmpose METRICS
from . import models  # noqa: F401  registers into mmpose.registry.MODELS
from . import utils  # noqa: F401  safe checkpoint loading (allow-list)
from . import visualization  # noqa: F401  registers LEViTPoseVisualizer
from .version import __version__

__all__ = ['__version__']
