"""Utilities of LEViTPose (checkpoint safety, FLOP counting, ...)."""
__all__ = []
