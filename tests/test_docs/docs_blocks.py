"""Find the fenced code blocks of the docs and README, and run them.

The rules (also stated in ``docs/contributing.md``):

* ``shell``/``bash``/``sh`` blocks run with ``bash -e -o pipefail`` and
  ``python`` blocks with ``.venv/bin/python``, in a mirror of the repository
  root (a copy of every top-level entry, with ``.venv`` linked and the
  output folders ``work_dirs/``, ``vis_results/``, ``outputs/``,
  ``benchmark_results/`` empty), with ``.venv/bin`` first on ``PATH``.
  What a block writes therefore lands in a temporary folder, never in the
  checkout.
* A block that cannot run here starts with the line
  ``# skip-test: <reason>`` (a comment in both languages, so the reader sees
  it and may still copy the block). A marker without a reason is an error.
* Blocks that show text rather than commands use one of
  :data:`INERT_LANGUAGES` (``text`` for printed output, ``yaml``, ...).
  A block with no language, or any other language, is an error: every block
  is either executed, explicitly skipped with a reason, or declared inert.
* MyST ``{include}`` directives are followed, so the model-zoo pages under
  ``configs/`` that the docs include are checked too.
"""
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, List, Optional, Set, Tuple

SHELL_LANGUAGES = ('shell', 'bash', 'sh')
PYTHON_LANGUAGES = ('python', 'python3', 'py')
INERT_LANGUAGES = ('text', 'none', 'yaml', 'json', 'ini', 'toml', 'bibtex',
                   'csv', 'diff', 'markdown', 'md')
SKIP_MARKER = re.compile(r'^\s*#\s*skip-test\s*:(?P<reason>.*)$')
FENCE = re.compile(r'^(?P<indent>\s*)(?P<fence>`{3,}|~{3,})(?P<info>[^`]*)$')
# Return code of a block killed for running past its timeout.
TIMED_OUT = -9
# Output folders the mirror keeps empty (and separate from the checkout).
OUTPUT_DIRS = ('work_dirs', 'vis_results', 'outputs', 'benchmark_results')
# The environment: linked into the mirror, never copied.
VENV = '.venv'
# Build and cache folders that the mirror need not copy.
NOT_COPIED = shutil.ignore_patterns('__pycache__', '*.egg-info', '_build',
                                    '.pytest_cache', '.hypothesis')


@dataclass(frozen=True)
class CodeBlock:
    """One fenced code block.

    Args:
        path (Path): The Markdown file it was read from.
        line (int): 1-based line of its opening fence.
        language (str): The fence's language, lower case ('' when none).
        code (str): Its text, without the fences and the common indent.
    """
    path: Path
    line: int
    language: str
    code: str

    @property
    def skip_reason(self) -> Optional[str]:
        """The reason of a leading ``# skip-test:`` line, or None.

        Returns ``''`` for a marker with no reason (an error for the tests).
        """
        for text in self.code.splitlines():
            if not text.strip():
                continue
            match = SKIP_MARKER.match(text)
            return match.group('reason').strip() if match else None
        return None

    @property
    def kind(self) -> str:
        """'shell', 'python', 'inert' or 'unknown'."""
        if self.language in SHELL_LANGUAGES:
            return 'shell'
        if self.language in PYTHON_LANGUAGES:
            return 'python'
        if self.language in INERT_LANGUAGES:
            return 'inert'
        return 'unknown'

    def label(self, root: Path) -> str:
        """``docs/quickstart.md:42`` style name, relative to ``root``."""
        try:
            name = self.path.resolve().relative_to(root.resolve())
        except ValueError:
            name = self.path
        return f'{name}:{self.line}'


def _language(info: str) -> Tuple[str, bool]:
    """The language of a fence's info string, and whether it is a directive.

    ```` ```{code-block} shell ```` is a code block in ``shell``; any other
    ```` ```{name} ```` is a MyST directive (admonition, include, toctree...).
    """
    info = info.strip()
    match = re.match(r'^\{([\w:-]+)\}\s*(.*)$', info)
    if match is None:
        return (info.split()[0].lower() if info else ''), False
    name, argument = match.groups()
    if name in ('code-block', 'code', 'sourcecode'):
        return (argument.split()[0].lower() if argument else ''), False
    return name, True


def _dedent(lines: List[str], indent: int) -> List[str]:
    """Remove the fence's indent (a list item's) from each line."""
    return [
        text[indent:] if not text[:indent].strip() else text.lstrip()
        for text in lines
    ]


def iter_blocks(path: Path,
                _seen: Optional[Set[Path]] = None) -> Iterator[CodeBlock]:
    """Yield the code blocks of one Markdown file, following ``{include}``.

    Args:
        path (Path): A Markdown file.

    Yields:
        CodeBlock: In document order; blocks of an included file come at the
        place of the include.
    """
    seen = set() if _seen is None else _seen
    path = Path(path)
    if path.resolve() in seen:
        return
    seen.add(path.resolve())
    lines = path.read_text(encoding='utf-8').splitlines()
    yield from _parse(path, lines, 0, seen)


def _parse(path: Path, lines: List[str], offset: int,
           seen: Set[Path]) -> Iterator[CodeBlock]:
    """Blocks of ``lines``, which start at line ``offset + 1`` of ``path``."""
    index = 0
    while index < len(lines):
        match = FENCE.match(lines[index])
        if match is None:
            index += 1
            continue
        fence, info = match.group('fence'), match.group('info')
        language, is_directive = _language(info)
        start, body = index, []
        index += 1
        while index < len(lines):
            stripped = lines[index].strip()
            if (stripped.startswith(fence) and not stripped.strip(fence[0])):
                break
            body.append(lines[index])
            index += 1
        index += 1  # past the closing fence
        if not is_directive:
            indent = len(match.group('indent'))
            yield CodeBlock(path, offset + start + 1, language,
                            '\n'.join(_dedent(body, indent)) + '\n')
        elif language == 'include':
            target = info.strip().split(None, 1)[1]
            yield from iter_blocks((path.parent / target).resolve(), seen)
        else:  # admonitions and the like may hold code blocks
            yield from _parse(path, body, offset + start + 1, seen)


def doc_files(root: Path) -> List[Path]:
    """README.md and every Markdown page under ``docs/`` (not ``_build``)."""
    pages = sorted(
        p for p in (root / 'docs').rglob('*.md')
        if '_build' not in p.relative_to(root / 'docs').parts)
    return [root / 'README.md'] + pages


def collect_blocks(root: Path) -> List[CodeBlock]:
    """Every code block of the docs and README, each file's once.

    A file included by a page is read at the place of its include only.
    """
    blocks, seen_code = [], set()
    for page in doc_files(root):
        for block in iter_blocks(page):
            key = (block.path.resolve(), block.line)
            if key in seen_code:
                continue
            seen_code.add(key)
            blocks.append(block)
    return blocks


def command_key(code: str) -> str:
    """The command of a block with line continuations and spacing removed.

    The README, the quick start and the COCO model-zoo page may each show
    the quick-start training command, formatted differently; it runs once.
    """
    return ' '.join(re.sub(r'\\\n', ' ', code).split())


def make_mirror(root: Path, target: Path) -> Path:
    """Copy the repository root into ``target`` for the docs' commands.

    Every top-level entry of ``root`` is copied except ``.git``, the
    environment ``.venv`` (a symlink: it is large and read, not written)
    and :data:`OUTPUT_DIRS`, which are created empty. The docs' commands see
    the repository as their working directory, and whatever they write,
    inside an output folder or not (a model-zoo page publishes into
    ``checkpoints/``, say), stays in ``target``: the checkout is never
    touched.

    Args:
        root (Path): The repository root.
        target (Path): An empty folder.

    Returns:
        Path: ``target``.
    """
    target.mkdir(parents=True, exist_ok=True)
    for entry in root.iterdir():
        if entry.name in ('.git', *OUTPUT_DIRS):
            continue
        if entry.name == VENV:
            (target / entry.name).symlink_to(entry)
        elif entry.is_dir() and not entry.is_symlink():
            shutil.copytree(
                entry, target / entry.name, symlinks=True, ignore=NOT_COPIED)
        else:
            shutil.copy2(entry, target / entry.name, follow_symlinks=False)
    for name in OUTPUT_DIRS:
        (target / name).mkdir()
    return target


def block_env(root: Path) -> dict:
    """The environment the docs' blocks run in: ``.venv/bin`` first."""
    env = dict(os.environ)
    venv = root / '.venv'
    env['PATH'] = f'{venv / "bin"}{os.pathsep}{env.get("PATH", "")}'
    env['VIRTUAL_ENV'] = str(venv)
    env['MPLBACKEND'] = 'Agg'
    env.pop('PYTHONPATH', None)
    return env


def run_block(block: CodeBlock, cwd: Path, root: Path,
              timeout: float) -> subprocess.CompletedProcess:
    """Run an executable block in ``cwd`` and return the finished process.

    Args:
        block (CodeBlock): A ``shell`` or ``python`` block.
        cwd (Path): The mirror of the repository (see :func:`make_mirror`).
        root (Path): The repository root (its ``.venv`` runs the block).
        timeout (float): Seconds before the block counts as hung.

    Returns:
        subprocess.CompletedProcess: With ``stdout`` holding both streams;
        a block that runs past ``timeout`` is killed and gets
        :data:`TIMED_OUT` as its return code.
    """
    if block.kind == 'shell':
        command = ['bash', '-e', '-o', 'pipefail', '-c', block.code]
    elif block.kind == 'python':
        command = [str(root / '.venv' / 'bin' / 'python'), '-c', block.code]
    else:
        raise ValueError(f'block kind {block.kind!r} is not executable; '
                         'executable kinds: shell, python')
    try:
        return subprocess.run(
            command,
            cwd=cwd,
            env=block_env(root),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=timeout)
    except subprocess.TimeoutExpired as err:  # a failed block, not a crash
        output = err.output or ''
        if isinstance(output, bytes):
            output = output.decode(errors='replace')
        return subprocess.CompletedProcess(
            command, TIMED_OUT, f'{output}\n[timed out after {timeout} s]')
