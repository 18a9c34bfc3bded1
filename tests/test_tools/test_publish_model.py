"""tools/misc/publish_model.py: ``publish_checkpoint`` keeps weights and
plain metadata only."""
import runpy
import subprocess
import sys

import numpy as np
import torch
from mmengine.logging import HistoryBuffer
from tool_runner import REPO_ROOT

from levitpose.engine.hooks.rng_state_hook import get_rng_state

publish_checkpoint = runpy.run_path(
    str(REPO_ROOT / 'tools/misc/publish_model.py'),
    run_name='tool')['publish_checkpoint']


def _training_checkpoint(path) -> dict:
    """A checkpoint shaped like MMEngine's, NumPy metadata included."""
    state_dict = dict(weight=torch.randn(3, 3), bias=torch.zeros(3))
    checkpoint = dict(
        meta=dict(
            epoch=4,
            iter=12,
            seed=0,
            dataset_meta=dict(
                sigmas=np.array([0.026, 0.025], dtype=np.float32),
                flip_indices=[1, 0])),
        state_dict=state_dict,
        optimizer=dict(state={}, param_groups=[dict(lr=1e-3)]),
        message_hub=dict(log_scalars=dict(loss=HistoryBuffer([1.0], [1]))),
        rng_state=get_rng_state())
    torch.save(checkpoint, path)
    return checkpoint


def test_published_checkpoint_keeps_weights_and_meta(tmp_path):
    src, dst = tmp_path / 'epoch_4.pth', tmp_path / 'published.pth'
    original = _training_checkpoint(src)
    info = publish_checkpoint(str(src), str(dst))
    published = torch.load(dst, weights_only=True)
    assert set(published) == {'state_dict', 'meta'}
    for key, value in original['state_dict'].items():
        assert torch.equal(published['state_dict'][key], value)
    assert published['meta']['epoch'] == 4
    assert published['meta']['dataset_meta']['sigmas'] == [
        np.float32(0.026).item(),
        np.float32(0.025).item()
    ]
    assert info['size'] == dst.stat().st_size


def test_published_checkpoint_loads_without_the_allow_list(tmp_path):
    """A bare ``torch.load(weights_only=True)`` (no levitpose) reads it."""
    src, dst = tmp_path / 'epoch_4.pth', tmp_path / 'published.pth'
    _training_checkpoint(src)
    publish_checkpoint(str(src), str(dst))
    code = ('import sys, torch; ckpt = torch.load(sys.argv[1], '
            'weights_only=True); print(sorted(ckpt))')
    result = subprocess.run([sys.executable, '-c', code,
                             str(dst)],
                            capture_output=True,
                            text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "['meta', 'state_dict']"
