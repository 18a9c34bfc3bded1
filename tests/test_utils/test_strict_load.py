"""levitpose.utils.strict_load: one strict loader, naming every key that
does not fit."""
import pytest
import torch
from torch import nn

from levitpose.utils import (CheckpointMismatchError, InvalidInputError,
                             MissingFileError, load_state_dict_strictly,
                             load_weights_strictly)


def small_model():
    return nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4))


def save(path, state, **extra):
    torch.save(dict(state_dict=state, **extra), str(path))
    return str(path)


def test_matching_checkpoint_loads_values(tmp_path):
    source = small_model()
    nn.init.constant_(source[0].weight, 0.5)
    target = small_model()
    ckpt = load_weights_strictly(
        target, save(tmp_path / 'ok.pth', source.state_dict(), meta={}))
    assert torch.equal(target[0].weight, source[0].weight)
    assert 'meta' in ckpt


def test_module_prefix_is_stripped(tmp_path):
    state = {f'module.{k}': v for k, v in small_model().state_dict().items()}
    load_weights_strictly(small_model(), save(tmp_path / 'dp.pth', state))


def _drop_running_var(state):
    del state['1.running_var']


def _add_weight(state):
    state['2.weight'] = torch.zeros(1)


@pytest.mark.parametrize(
    'change, match',
    [(_drop_running_var, r'1 missing key\(s\): 1\.running_var'),
     (_add_weight, r'1 unexpected key\(s\): 2\.weight')],
    ids=['missing', 'unexpected'])
def test_missing_or_unexpected_key_is_named(tmp_path, change, match):
    state = small_model().state_dict()
    change(state)
    with pytest.raises(InvalidInputError, match=match):
        load_weights_strictly(small_model(), save(tmp_path / 'k.pth', state))


def test_shape_mismatch_is_named(tmp_path):
    state = small_model().state_dict()
    state['0.bias'] = torch.zeros(5)
    with pytest.raises(InvalidInputError) as info:
        load_weights_strictly(small_model(), save(tmp_path / 's.pth', state))
    assert 'shape mismatch(es) (checkpoint vs model): 0.bias (5,) vs (4,)' \
        in str(info.value)
    assert 'missing' not in str(info.value)  # mismatched, not missing


def test_not_a_checkpoint_is_refused(tmp_path):
    path = tmp_path / 'text.pth'
    path.write_text('definitely not a checkpoint')
    with pytest.raises(
            InvalidInputError,
            match='text.pth is not a valid PyTorch checkpoint'):
        load_weights_strictly(small_model(), str(path))


@pytest.mark.parametrize(
    'data',
    [
        b'\x80\x02.',  # the unpickler pops an empty stack (IndexError)
        b'\x80\x02}q\x00(X',  # a cut length (struct.error)
        b'0.',
    ])
def test_malformed_pickle_is_one_line(tmp_path, data):
    """Junk a fuzzer found: whatever the unpickler raises, it is refused
    as not a checkpoint, in one line."""
    path = tmp_path / 'junk.pth'
    path.write_bytes(data)
    with pytest.raises(InvalidInputError) as info:
        load_weights_strictly(small_model(), str(path))
    message = str(info.value)
    assert 'junk.pth' in message and '\n' not in message


def test_missing_checkpoint_is_refused(tmp_path):
    with pytest.raises(MissingFileError, match='does not exist'):
        load_weights_strictly(small_model(), str(tmp_path / 'none.pth'))


def test_refused_state_leaves_the_model_unchanged():
    model = small_model()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    state = {k: torch.ones_like(v) for k, v in before.items()}
    state['0.bias'] = torch.ones(5)
    with pytest.raises(CheckpointMismatchError, match='does not fit net'):
        load_state_dict_strictly(model, state, 'ckpt', 'net')
    for key, value in model.state_dict().items():
        assert torch.equal(value, before[key])
