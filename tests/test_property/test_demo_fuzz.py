"""Fuzzing the demo (Hypothesis): arbitrary paths, junk files and odd
arguments end in a non-zero exit with an error message, never a traceback.

Each example runs ``demo/topdown_demo_with_mmdet.py`` as a subprocess, so
``max_examples`` is small; the generated cases are also kept few on purpose
(each run imports torch).
"""
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / 'demo' / 'topdown_demo_with_mmdet.py'
IMAGE = (
    REPO / '..' / 'shared' / 'data' / 'mmpose' / 'tests' / 'data' / 'coco' /
    '000000000785.jpg')

pytestmark = pytest.mark.slow


def fuzz(examples: int) -> settings:
    """Few examples: each one is a demo subprocess (5-20 s on 2 cores)."""
    return settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture])


# file names with spaces, unicode, dots and misleading extensions
names = st.text(
    alphabet=st.characters(
        codec='utf-8',
        exclude_categories=('Cs', 'Cc'),
        exclude_characters='/\\'),
    min_size=1,
    max_size=20).filter(lambda s: s not in ('.', '..')).map(
        lambda s: s.lstrip('-'))
extensions = st.sampled_from(['.jpg', '.png', '.mp4', '.avi', '.txt', ''])
contents = st.one_of(
    st.binary(max_size=2048),
    st.just(b''),
    st.just(b'\xff\xd8\xff\xe0' + b'\x00' * 64),  # a truncated JPEG header
    st.just(b'\x00\x00\x00\x18ftypmp42'),  # a truncated MP4 header
)


def run_demo(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(DEMO), *args],
                          cwd=cwd,
                          env=dict(os.environ, OMP_NUM_THREADS='1'),
                          capture_output=True,
                          text=True,
                          timeout=300)


def run_demo_on(tmp_path: Path, source: Path, *args:
                str) -> subprocess.CompletedProcess:
    """The demo on ``source``, writing under ``tmp_path``."""
    return run_demo(
        '--input',
        str(source),
        '--output-root',
        str(tmp_path / 'out'),
        *args,
        cwd=tmp_path)


def assert_clean_failure(proc: subprocess.CompletedProcess) -> None:
    assert proc.returncode != 0
    assert 'Traceback' not in proc.stderr, proc.stderr[-2000:]
    assert proc.stderr.strip(), 'no error message on stderr'


@fuzz(4)
@given(name=names, ext=extensions, data=contents)
def test_junk_input_file_fails_cleanly(tmp_path, name, ext, data):
    path = tmp_path / f'{name or "x"}{ext}'
    try:
        path.write_bytes(data)
    except OSError:  # a name the file system refuses: nothing to test
        return
    proc = run_demo_on(tmp_path, path)
    assert_clean_failure(proc)


@fuzz(3)
@given(name=names, ext=extensions, as_dir=st.booleans())
def test_missing_path_or_empty_folder_fails_cleanly(tmp_path, name, ext,
                                                    as_dir):
    path = tmp_path / f'{name}{ext}'
    if as_dir:
        path = tmp_path / f'empty_{len(name)}'
        path.mkdir(exist_ok=True)
    proc = run_demo_on(tmp_path, path)
    assert_clean_failure(proc)


@fuzz(6)
@given(
    option=st.sampled_from([
        '--bbox-thr', '--kpt-thr', '--nms-thr', '--radius', '--thickness',
        '--alpha', '--device', '--det-cat-id'
    ]),
    value=st.one_of(
        st.sampled_from(['nan', '-1', '1e309', 'abc', '', 'cuda:99', 'tpu']),
        # what a command line can hold: no NUL (argv strings end at one),
        # no lone surrogate (not encodable)
        st.text(
            alphabet=st.characters(
                exclude_categories=('Cs', ), exclude_characters='\x00'),
            max_size=8).map(lambda s: s.lstrip('-') or 'x')))
def test_odd_option_values_fail_cleanly_or_run(tmp_path, option, value):
    proc = run_demo_on(tmp_path, IMAGE, option, value)
    assert 'Traceback' not in proc.stderr, proc.stderr[-2000:]
    if proc.returncode != 0:
        assert proc.stderr.strip()


@fuzz(3)
@given(data=contents)
def test_junk_pose_checkpoint_fails_cleanly(tmp_path, data):
    checkpoint = tmp_path / 'junk.pth'
    checkpoint.write_bytes(data)
    proc = run_demo_on(tmp_path, IMAGE, '--pose-checkpoint', str(checkpoint))
    assert_clean_failure(proc)
