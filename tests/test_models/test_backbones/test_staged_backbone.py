"""The options both backbones take come from one validated base."""
import pytest

from levitpose.models.backbones import EfficientViT, LEViTPose
from levitpose.models.backbones.staged_backbone import (StagedBackbone,
                                                        parse_out_indices)


@pytest.mark.parametrize('cls', [LEViTPose, EfficientViT])
def test_both_backbones_share_the_base(cls):
    assert issubclass(cls, StagedBackbone)


@pytest.mark.parametrize('cls', [LEViTPose, EfficientViT])
@pytest.mark.parametrize('frozen', [True, 3, -2, 1.0])
def test_bad_frozen_stages_names_the_range(cls, frozen):
    with pytest.raises(ValueError, match=r'frozen_stages .*\[-1, 2\]'):
        cls(frozen_stages=frozen)


@pytest.mark.parametrize('bad', [(), (3, ), (0, 'a'), 'x', None])
def test_parse_out_indices_rejects(bad):
    with pytest.raises(ValueError, match=r'out_indices .*\[-3, 2\]'):
        parse_out_indices(bad, 3)


def test_deploy_is_idempotent_and_freezes_again():
    model = LEViTPose('tiny', frozen_stages=0)
    model.switch_to_deploy()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    model.switch_to_deploy()
    after = model.state_dict()
    assert before.keys() == after.keys()
    assert all((before[k] == after[k]).all() for k in before)
    assert not any(p.requires_grad for p in model.stages[0].parameters())
    assert all(p.requires_grad for p in model.stages[1].parameters())
