"""Fixtures of the docs tests: one mirror of the repository per session.

The quick start's training command (a few minutes on 2 cores) runs once,
before any other block, and every later block finds its checkpoint in the
mirror's ``work_dirs/``.
"""
from pathlib import Path
from typing import Dict

import pytest
from docs_blocks import collect_blocks, command_key, make_mirror, run_block

REPO_ROOT = Path(__file__).resolve().parents[2]
# Blocks that later blocks depend on: run first, once per distinct command.
PREREQUISITE = 'mim train mmpose configs/quickstart/'
BLOCK_TIMEOUT_S = 600
# The quick-start training: ~5 min on 2 idle cores; stays below `make test`'s
# per-test --timeout=900, so a slow run fails with its log, not a kill.
PREREQUISITE_TIMEOUT_S = 840


class DocsMirror:
    """The mirror of the repository the blocks run in, with their results.

    Args:
        path (Path): The mirror (see :func:`docs_blocks.make_mirror`).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.results: Dict[str, object] = {}

    def run(self, block):
        """Run ``block``; a command shown on several pages (the quick-start
        training, ``make demo``...) runs once, and its blocks share the
        result."""
        key = command_key(block.code)
        if key not in self.results:
            timeout = (
                PREREQUISITE_TIMEOUT_S
                if PREREQUISITE in block.code else BLOCK_TIMEOUT_S)
            self.results[key] = run_block(block, self.path, REPO_ROOT, timeout)
        return self.results[key]

    def training(self):
        """The finished quick-start training (the docs' ``mim train``)."""
        runs = [r for k, r in self.results.items() if PREREQUISITE in k]
        assert runs, f'no block of the docs runs {PREREQUISITE!r}'
        return runs[0]


@pytest.fixture(scope='session')
def docs_mirror(tmp_path_factory) -> DocsMirror:
    """The mirror, with the prerequisite blocks already run.

    Only ``test_code_blocks.py`` uses it: ``make test`` hands out whole test
    files to its workers, so the training runs once per test run.
    """
    mirror = DocsMirror(
        make_mirror(REPO_ROOT, tmp_path_factory.mktemp('docs_mirror')))
    for block in collect_blocks(REPO_ROOT):
        if (PREREQUISITE in block.code and block.skip_reason is None
                and block.kind in ('shell', 'python')):
            mirror.run(block)
    return mirror
