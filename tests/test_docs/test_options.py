"""Every command-line option a page mentions exists in its tools' --help.

Code blocks are run by ``test_code_blocks.py``; this also covers the options
described in prose and in blocks skipped for want of a GPU or a dataset.
"""
import re
import subprocess
from functools import lru_cache
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
PY = str(REPO_ROOT / '.venv' / 'bin' / 'python')
MIM = str(REPO_ROOT / '.venv' / 'bin' / 'mim')
TRAIN_TOOLS = (
    (PY, 'tools/train.py'),
    (PY, 'tools/test.py'),
    (MIM, 'train', 'mmpose'),
    (MIM, 'test', 'mmpose'),
    (PY, 'tools/analysis_tools/get_flops.py'),
    (PY, 'tools/analysis_tools/print_config.py'),
    (PY, 'tools/analysis_tools/browse_dataset.py'),
    (PY, 'tools/misc/publish_model.py'),
)
# page -> the commands whose --help must name each option on the page
PAGE_TOOLS = {
    'docs/quickstart.md':
    TRAIN_TOOLS + ((PY, 'demo/topdown_demo_with_mmdet.py'), ),
    'docs/training.md':
    TRAIN_TOOLS,
    'docs/demo.md': (
        (PY, 'demo/topdown_demo_with_mmdet.py'),
        (PY, 'tools/misc/make_pan_video.py'),
        (PY, 'tools/deployment/pytorch2onnx.py'),
        (PY, 'tools/analysis_tools/video_benchmark.py'),
        (PY, 'tools/analysis_tools/track_eval.py'),
    ),
    'docs/reliability.md':
    TRAIN_TOOLS + ((PY, 'tools/analysis_tools/memory_check.py'), ),
}
OPTION = re.compile(r'(?<![\w-])--[a-z][a-z0-9-]*')


@lru_cache(maxsize=None)
def _help(command):
    proc = subprocess.run(
        list(command) + ['--help'],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=300)
    assert proc.returncode == 0, f'{command} --help failed:\n{proc.stdout}'
    return proc.stdout


@pytest.mark.slow
@pytest.mark.parametrize('page', sorted(PAGE_TOOLS))
def test_page_options_exist(page):
    options = set(OPTION.findall((REPO_ROOT / page).read_text()))
    helps = ''.join(_help(command) for command in PAGE_TOOLS[page])
    known = set(OPTION.findall(helps)) | {'--help'}
    assert options <= known, f'{page}: not in any --help: ' \
        f'{sorted(options - known)}'
