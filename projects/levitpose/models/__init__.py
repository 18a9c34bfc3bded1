"""Models of LEViTPose, registered into :data:`mmpose.registry.MODELS`."""
from . import backbones, heads  # noqa: F401

__all__ = ['backbones', 'heads']
