"""Every code block of the docs and README is run, skipped with a reason,
or declared inert; the runnable ones must exit 0. The quick start's
training, run once by the ``docs_mirror`` fixture, reaches its target AP.

How to mark a block, and which languages are inert, is explained in
``tests/test_docs/docs_blocks.py`` and ``docs/contributing.md``.
"""
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from docs_blocks import (INERT_LANGUAGES, PYTHON_LANGUAGES, SHELL_LANGUAGES,
                         collect_blocks)

REPO_ROOT = Path(__file__).resolve().parents[2]
BLOCKS = collect_blocks(REPO_ROOT)
RUNNABLE = [
    b for b in BLOCKS if b.kind in ('shell', 'python') and not b.skip_reason
]
# `make test` inside the test suite would run the suite again.
MAKE_TEST = re.compile(r'(^|[;&|(]\s*|\s)make\s+([^\n#]*\s)?test\b',
                       re.MULTILINE)
MAKE_ANY = re.compile(r'(^|[;&|(]\s*|\s)make\b', re.MULTILINE)
# `make` and the setup script repair a stale .venv: run from the docs'
# mirror, they would reinstall the package from the mirror (a temporary
# folder) into the shared .venv.
SETUP_RUNS = (MAKE_ANY, re.compile(r'tools/setup_env\.py'))
OUTPUT_TAIL = 4000


def _ids(blocks):
    return [b.label(REPO_ROOT) for b in blocks]


def test_docs_have_runnable_blocks():
    """The collector finds the pages' commands (guards a broken parser)."""
    assert len(RUNNABLE) >= 10, _ids(RUNNABLE)


@pytest.mark.parametrize('block', BLOCKS, ids=_ids(BLOCKS))
def test_block_language_is_known(block):
    assert block.kind != 'unknown', (
        f'{block.label(REPO_ROOT)}: code block language {block.language!r} '
        f'is neither run ({", ".join(SHELL_LANGUAGES + PYTHON_LANGUAGES)}) '
        f'nor inert ({", ".join(INERT_LANGUAGES)}); give it one of these')


@pytest.mark.parametrize('block', BLOCKS, ids=_ids(BLOCKS))
def test_skip_marker_has_reason(block):
    assert block.skip_reason != '', (
        f'{block.label(REPO_ROOT)}: "# skip-test:" needs a reason, e.g. '
        '"# skip-test: needs a GPU"')


@pytest.mark.parametrize('block', BLOCKS, ids=_ids(BLOCKS))
def test_make_test_is_never_run(block):
    if block.kind == 'shell' and block.skip_reason is None:
        assert not MAKE_TEST.search(block.code), (
            f'{block.label(REPO_ROOT)}: `make test` would run the test suite '
            'from inside itself; start the block with '
            '"# skip-test: this is the test suite itself"')


def _venv_is_current() -> bool:
    """Whether `make` would leave .venv alone (tools/setup_env.py's stamp)."""
    code = ('import sys; sys.path.insert(0, "tools"); import setup_env as s; '
            'print(s.STAMP.exists() and '
            's.STAMP.read_text().strip() == s.stamp_value())')
    proc = subprocess.run([sys.executable, '-c', code],
                          cwd=REPO_ROOT,
                          stdout=subprocess.PIPE,
                          text=True)
    return proc.stdout.strip() == 'True'


@pytest.mark.slow
@pytest.mark.parametrize('block', RUNNABLE, ids=_ids(RUNNABLE))
def test_block_runs(block, docs_mirror):
    if block.kind == 'shell' and MAKE_TEST.search(block.code):
        pytest.fail(f'{block.label(REPO_ROOT)}: not run: `make test` would '
                    'run the test suite from inside itself')
    if block.kind == 'shell' and any(
            pattern.search(block.code) for pattern in SETUP_RUNS):
        assert _venv_is_current(), (
            f'{block.label(REPO_ROOT)} runs `make` or tools/setup_env.py, '
            'which would repair the stale .venv from the docs\' mirror; run '
            '`python3 tools/setup_env.py` first')
    proc = docs_mirror.run(block)
    assert proc.returncode == 0, (
        f'{block.label(REPO_ROOT)} exited {proc.returncode}:\n'
        f'{block.code}\n--- output (tail) ---\n{proc.stdout[-OUTPUT_TAIL:]}')


#: The target the quickstart config's docstring states.
QUICKSTART_MIN_AP = 0.3


def _final_metrics(work_dir) -> dict:
    """The last evaluation's metrics from MMEngine's ``scalars.json``."""
    records = [
        json.loads(line) for path in work_dir.rglob('scalars.json')
        for line in path.read_text().splitlines() if line.strip()
    ]
    evaluations = [r for r in records if 'coco/AP' in r]
    assert evaluations, f'no evaluation logged in {work_dir}'
    return evaluations[-1]


@pytest.mark.slow
def test_quickstart_training_from_scratch_reaches_the_target_ap(
        docs_mirror, capsys):
    """The quick start's promise, on the docs' own training command (the
    README's and ``docs/quickstart.md``'s ``mim train``): tests that need
    the trained run read it in the mirror instead of training again."""
    training = docs_mirror.training()
    assert training.returncode == 0, training.stdout[-OUTPUT_TAIL:]
    work_dir = docs_mirror.path / 'work_dirs' / 'quickstart'
    metrics = _final_metrics(work_dir)
    with capsys.disabled():
        print(f'\nquickstart: coco/AP {metrics["coco/AP"]:.3f} after 80 '
              'epochs')
    assert metrics['coco/AP'] >= QUICKSTART_MIN_AP, metrics
    assert (work_dir / 'epoch_80.pth').is_file()
