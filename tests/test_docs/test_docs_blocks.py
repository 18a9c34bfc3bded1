"""The code-block collector reads fences, markers and includes correctly."""
import sys
from pathlib import Path

import pytest
from docs_blocks import (TIMED_OUT, command_key, iter_blocks, make_mirror,
                         run_block)


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding='utf-8')
    return path


def _run_page(tmp_path: Path, repo: Path, text: str, timeout: float = 30):
    """Run the first block of a page of ``text`` in a mirror of ``repo``;
    return the process and the mirror."""
    mirror = make_mirror(repo, tmp_path / 'mirror')
    page = _write(tmp_path / 'p.md', text)
    block = next(iter_blocks(page))
    return run_block(block, mirror, repo, timeout=timeout), mirror


def test_fenced_blocks_keep_language_line_and_code(tmp_path):
    page = _write(tmp_path / 'p.md',
                  '# T\n\n```shell\necho hi\n```\n\n~~~python\nx = 1\n~~~\n')
    blocks = list(iter_blocks(page))
    assert [(b.language, b.line, b.code)
            for b in blocks] == [('shell', 3, 'echo hi\n'),
                                 ('python', 7, 'x = 1\n')]


# (page text, attribute of its first block, expected value)
FIRST_BLOCK = {
    'skip_marker_reason_is_read':
    ('```shell\n# skip-test: needs a GPU\nnvidia-smi\n```\n', 'skip_reason',
     'needs a GPU'),
    'skip_marker_without_reason_is_empty':
    ('```shell\n# skip-test:\nls\n```\n', 'skip_reason', ''),
    'marker_after_first_line_is_not_a_skip':
    ('```shell\nls\n# skip-test: too late\n```\n', 'skip_reason', None),
    'unlabelled_block_is_unknown': ('```\nls\n```\n', 'kind', 'unknown'),
    'text_block_is_inert': ('```text\nAP: 0.5\n```\n', 'kind', 'inert'),
    'code_block_directive_is_a_block': ('```{code-block} bash\necho 1\n```\n',
                                        'kind', 'shell'),
    'indented_block_in_a_list_is_dedented':
    ('1. run\n\n   ```shell\n   ls\n   ```\n', 'code', 'ls\n'),
}


@pytest.mark.parametrize(
    'text, attribute, expected',
    list(FIRST_BLOCK.values()),
    ids=list(FIRST_BLOCK))
def test_first_block_is_read(tmp_path, text, attribute, expected):
    page = _write(tmp_path / 'p.md', text)
    assert getattr(next(iter_blocks(page)), attribute) == expected


def test_longer_fence_holds_a_shorter_one(tmp_path):
    page = _write(tmp_path / 'p.md',
                  '````markdown\n```shell\nrm -rf x\n```\n````\n')
    blocks = list(iter_blocks(page))
    assert [b.language for b in blocks] == ['markdown']


def test_blocks_inside_admonitions_are_found(tmp_path):
    page = _write(tmp_path / 'p.md',
                  '````{note}\nSee:\n```python\nprint(1)\n```\n````\n')
    block = next(iter_blocks(page))
    assert (block.language, block.line) == ('python', 3)


def test_include_is_followed(tmp_path):
    (tmp_path / 'sub').mkdir()
    _write(tmp_path / 'sub' / 'zoo.md', '```shell\necho zoo\n```\n')
    page = _write(tmp_path / 'p.md', '```{include} sub/zoo.md\n```\n')
    block = next(iter_blocks(page))
    assert (block.path.name, block.code) == ('zoo.md', 'echo zoo\n')


def test_mirror_keeps_outputs_out_of_the_checkout(tmp_path):
    repo = tmp_path / 'repo'
    (repo / 'configs').mkdir(parents=True)
    (repo / 'configs' / 'a.py').write_text('x = 1\n')
    (repo / '.venv' / 'bin').mkdir(parents=True)
    (repo / '.venv' / 'bin' / 'python').symlink_to(Path(sys.executable))
    proc, mirror = _run_page(
        tmp_path, repo,
        '```shell\ncat configs/a.py > work_dirs/copy.py\n```\n')
    assert proc.returncode == 0, proc.stdout
    assert (mirror / 'work_dirs' / 'copy.py').read_text() == 'x = 1\n'
    assert not (repo / 'work_dirs').exists()


def test_block_writing_into_a_tracked_folder_leaves_the_checkout(tmp_path):
    # the model-zoo page publishes a checkpoint into checkpoints/: the
    # shipped file in the checkout must stay as it is
    repo = tmp_path / 'repo'
    (repo / 'checkpoints').mkdir(parents=True)
    (repo / 'checkpoints' / 'model.pth').write_bytes(b'shipped')
    (repo / 'README.md').write_text('readme\n')
    (repo / '.venv' / 'bin').mkdir(parents=True)
    proc, mirror = _run_page(
        tmp_path, repo, '```shell\necho new > checkpoints/model.pth\n'
        'echo new > README.md\n```\n')
    assert (mirror / '.venv').is_symlink()
    assert proc.returncode == 0, proc.stdout
    assert (mirror / 'checkpoints' / 'model.pth').read_text() == 'new\n'
    assert (repo / 'checkpoints' / 'model.pth').read_bytes() == b'shipped'
    assert (repo / 'README.md').read_text() == 'readme\n'


def test_failing_line_fails_the_block(tmp_path):
    repo = tmp_path / 'repo'
    repo.mkdir()
    proc, _ = _run_page(tmp_path, repo, '```shell\nfalse\necho after\n```\n')
    assert proc.returncode != 0 and 'after' not in proc.stdout


def test_python_indentation_is_kept(tmp_path):
    page = _write(tmp_path / 'p.md', '```python\nif True:\n    x = 1\n```\n')
    assert next(iter_blocks(page)).code == 'if True:\n    x = 1\n'


def test_command_key_ignores_line_continuations():
    one_line = 'mim train mmpose a.py --work-dir w\n'
    split = 'mim train mmpose a.py \\\n    --work-dir w\n'
    assert command_key(one_line) == command_key(split)


def test_block_past_its_timeout_fails(tmp_path):
    repo = tmp_path / 'repo'
    repo.mkdir()
    proc, _ = _run_page(
        tmp_path, repo, '```shell\nsleep 5\n```\n', timeout=0.5)
    assert proc.returncode == TIMED_OUT and 'timed out' in proc.stdout
