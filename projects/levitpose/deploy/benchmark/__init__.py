"""CPU speed benchmark of LEViTPose and its peers (the paper's speed table):
the model list and its published accuracy (:mod:`.models`), round-robin
timing (:mod:`.timing`) and the report (:mod:`.report`).
"""
from .models import (BENCHMARK_MODELS, METRICS, PAPER_SOURCE, REFERENCE_MODEL,
                     BenchmarkModel, config_path, published_accuracy,
                     select_models, zoo_accuracy)
from .report import write_csv, write_markdown, write_plot
from .timing import (BACKENDS, Runner, build_runners, summarize,
                     time_round_robin)

__all__ = [
    'BACKENDS', 'BENCHMARK_MODELS', 'METRICS', 'PAPER_SOURCE',
    'REFERENCE_MODEL', 'BenchmarkModel', 'Runner', 'build_runners',
    'config_path', 'published_accuracy', 'select_models', 'summarize',
    'time_round_robin', 'write_csv', 'write_markdown', 'write_plot',
    'zoo_accuracy'
]
