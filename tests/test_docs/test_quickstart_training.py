"""The quick start's promise: training from scratch on the bundled samples
reaches COCO AP >= 0.3 (the target its config states) and ends with
``epoch_80.pth``.

The training is the docs' own command (``mim train mmpose`` in the README
and ``docs/quickstart.md``), run once per test session by the
``docs_mirror`` fixture; tests that need the trained run read it there
instead of training again.
"""
import json

import pytest

pytestmark = pytest.mark.slow

#: The target the quickstart config's docstring states.
MIN_AP = 0.3


def _final_metrics(work_dir) -> dict:
    """The last evaluation's metrics from MMEngine's ``scalars.json``."""
    records = [
        json.loads(line) for path in work_dir.rglob('scalars.json')
        for line in path.read_text().splitlines() if line.strip()
    ]
    evaluations = [r for r in records if 'coco/AP' in r]
    assert evaluations, f'no evaluation logged in {work_dir}'
    return evaluations[-1]


def test_training_from_scratch_reaches_the_target_ap(docs_mirror, capsys):
    training = docs_mirror.training()
    assert training.returncode == 0, training.stdout[-3000:]
    work_dir = docs_mirror.path / 'work_dirs' / 'quickstart'
    metrics = _final_metrics(work_dir)
    with capsys.disabled():
        print(f'\nquickstart: coco/AP {metrics["coco/AP"]:.3f} after 80 '
              'epochs')
    assert metrics['coco/AP'] >= MIN_AP, metrics
    assert (work_dir / 'epoch_80.pth').is_file()
