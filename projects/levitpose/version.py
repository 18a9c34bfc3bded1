"""The version of the ``levitpose`` package."""
__version__ = '0.1.0'
