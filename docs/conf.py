"""Sphinx configuration of the LEViTPose documentation site.

Built by ``make docs`` (``python -m sphinx -W --keep-going -b html docs
docs/_build/html``): warnings are errors, and nothing is fetched from the
network (no intersphinx, no remote images or fonts).
"""
import os
import re
from pathlib import Path

DOCS_DIR = Path(__file__).resolve().parent
REPO_ROOT = DOCS_DIR.parent


def _read_version() -> str:
    """Read ``__version__`` without importing the package (torch is slow)."""
    text = (REPO_ROOT / 'projects' / 'levitpose' / 'version.py').read_text()
    match = re.search(r"__version__ = '([^']+)'", text)
    if match is None:
        raise RuntimeError('no __version__ in projects/levitpose/version.py')
    return match.group(1)


# A Markdown link to a path from the repository root, as GitHub reads it.
ROOT_LINK = re.compile(r'\]\(/(?!/)')


def _root_links_to_relative(app, relative_path, parent_docname,
                            content) -> None:
    """Make the repository-root links of an included page relative.

    The model-zoo pages under ``configs/`` link to configs as MMPose's do,
    from the repository root (``[T](/configs/...py)``), which GitHub
    resolves but Sphinx reads as a missing document. Rewritten relative to
    the including page, the links point at the files themselves, which
    Sphinx then ships as downloads.
    """
    page_dir = (DOCS_DIR / app.env.docname).parent
    prefix = os.path.relpath(REPO_ROOT, page_dir).replace(os.sep, '/')
    content[0] = ROOT_LINK.sub(f']({prefix}/', content[0])


def setup(app) -> None:
    app.connect('include-read', _root_links_to_relative)


# -- Project -----------------------------------------------------------------
project = 'LEViTPose'
author = 'LEViTPose contributors'
copyright = '2026, LEViTPose contributors'
release = _read_version()
version = release

# -- General -----------------------------------------------------------------
extensions = [
    'myst_parser',
    'sphinx.ext.autodoc',
    'sphinx.ext.napoleon',
    'sphinx.ext.viewcode',
    'sphinx_copybutton',
]
source_suffix = {'.md': 'markdown'}
root_doc = 'index'
exclude_patterns = ['_build', 'Thumbs.db', '.DS_Store']
language = 'en'

# MyST: ``:::`` fences for admonitions, ``name: value`` tables of terms, and
# anchors for headings so pages can link to each other's sections.
myst_enable_extensions = ['colon_fence', 'deflist']
myst_heading_anchors = 3

# -- autodoc / napoleon (Google-style docstrings) -----------------------------
autodoc_member_order = 'bysource'
autodoc_typehints = 'description'
autodoc_default_options = {
    'members': True,
    'show-inheritance': True,
}
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_use_rtype = False

# -- HTML -------------------------------------------------------------------
html_theme = 'furo'
html_title = f'LEViTPose {release}'
html_static_path = ['_static']
html_css_files = ['levitpose.css']
html_show_sourcelink = True

# sphinx-copybutton: copy commands without prompts or printed output.
copybutton_prompt_text = r'\$ '
copybutton_prompt_is_regexp = True
copybutton_exclude = '.linenos, .gp, .go'
