"""Models of LEViTPose, registered into :data:`mmpose.registry.MODELS`,
and the strict ``Pretrained`` initializer, registered into
:data:`mmpose.registry.WEIGHT_INITIALIZERS`."""
from . import backbones, heads  # noqa: F401
from .strict_pretrained import StrictPretrainedInit

__all__ = ['backbones', 'heads', 'StrictPretrainedInit']
