"""Backbones registered by LEViTPose."""
from .efficientvit import EfficientViT
from .levitpose import LEViTPose

__all__ = ['EfficientViT', 'LEViTPose']
