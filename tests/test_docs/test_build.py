"""`make docs`'s Sphinx command builds the site with warnings as errors."""
import re
import subprocess
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
# The pages the docs issue asks for (the API reference has several).
EXPECTED_PAGES = ('index', 'overview', 'installation', 'quickstart',
                  'model_zoo', 'architecture', 'training', 'demo',
                  'deployment', 'benchmarks', 'reliability', 'changelog',
                  'contributing', 'api/index', 'api/models', 'api/apis',
                  'api/utils', 'api/lite')
# An element that would load something from the network when viewed.
REMOTE = re.compile(
    r'<(?:script|img|link|iframe|source)\b[^>]*'
    r'\b(?:src|href)="(?:https?:)?//', re.IGNORECASE)


def _makefile_sphinx_command():
    """The Sphinx arguments of the Makefile's `docs` target."""
    text = (REPO_ROOT / 'Makefile').read_text()
    match = re.search(r'^docs:.*\n\t@?\$\(PY\) (-m sphinx [^\n]+)', text,
                      re.MULTILINE)
    assert match, 'Makefile has no `docs` target running `$(PY) -m sphinx`'
    return match.group(1).split()


@pytest.fixture(scope='module')
def html(tmp_path_factory):
    args = _makefile_sphinx_command()
    assert args[-2:] == ['docs', 'docs/_build/html'], args
    out = tmp_path_factory.mktemp('html')
    command = [str(REPO_ROOT / '.venv' / 'bin' / 'python')] + args[:-1] + [
        str(out), '-d', str(out / '.doctrees')
    ]
    proc = subprocess.run(
        command,
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=600)
    assert proc.returncode == 0, proc.stdout[-6000:]
    return out


def test_makefile_builds_with_warnings_as_errors():
    assert '-W' in _makefile_sphinx_command()


@pytest.mark.slow
@pytest.mark.parametrize('page', EXPECTED_PAGES)
def test_page_is_built(html, page):
    assert (html / f'{page}.html').is_file()


@pytest.mark.slow
def test_api_reference_documents_the_backbone(html):
    text = (html / 'api' / 'models.html').read_text(encoding='utf-8')
    assert 'levitpose.models.backbones.LEViTPose' in text


@pytest.mark.slow
def test_pages_load_nothing_from_the_network(html):
    remote = {
        str(p.relative_to(html)): REMOTE.findall(p.read_text('utf-8'))
        for p in html.rglob('*.html')
    }
    assert not {k: v for k, v in remote.items() if v}
