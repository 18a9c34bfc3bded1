"""Heads registered by LEViTPose."""
from .lfrm_head import LFRMHead

__all__ = ['LFRMHead']
