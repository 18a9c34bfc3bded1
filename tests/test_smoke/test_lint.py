"""``make lint`` stays clean: flake8, isort and yapf with setup.cfg's
settings."""
import subprocess
import sys

import pytest

PATHS = ('projects', 'tools', 'demo', 'tests', 'configs')


@pytest.mark.parametrize(
    'command', [
        ['-m', 'flake8', *PATHS],
        ['-m', 'isort', '--check-only', '--diff', *PATHS[:-1]],
        ['-m', 'yapf', '--diff', '--recursive', *PATHS],
    ],
    ids=['flake8', 'isort', 'yapf'])
def test_lint_is_clean(repo_root, command):
    result = subprocess.run([sys.executable, *command],
                            cwd=repo_root,
                            capture_output=True,
                            text=True,
                            timeout=300)
    assert result.returncode == 0, (
        result.stdout[-3000:] + result.stderr[-2000:])
