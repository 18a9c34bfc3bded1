"""Metrics registered into ``mmpose.registry.METRICS``."""
from .mpii_test_predictions import MpiiTestPredictions

__all__ = ['MpiiTestPredictions']
