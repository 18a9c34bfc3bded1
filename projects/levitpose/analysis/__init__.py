"""Model analysis of LEViTPose: FLOP and parameter counts.

Imported by the tools that count (``tools/analysis_tools/get_flops.py``,
the benchmark), never by ``import levitpose``: it loads
``mmengine.analysis``.

- :mod:`.flops`: the complete count (mmengine's ``FlopAnalyzer`` with a
  handle for every operator it would skip);
- :mod:`.hook_flops`: the paper's count (mmcv 1.x's module hooks).
"""
from .flops import format_count, get_config_complexity

__all__ = ['format_count', 'get_config_complexity']
