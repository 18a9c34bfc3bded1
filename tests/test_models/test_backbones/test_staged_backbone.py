"""The options both backbones take come from one validated base
(backbones/staged_backbone.py)."""
import pytest
import torch

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


@pytest.mark.parametrize('bad', [(), (3, ), (-4, ), (0, 'a'),
                                 (0.5, ), 'x', None])
def test_parse_out_indices_rejects(bad):
    with pytest.raises(ValueError, match=r'out_indices .*\[-3, 2\]'):
        parse_out_indices(bad, 3)


@pytest.mark.parametrize('indices, expected', [((-1, 0), (0, 2)), (1, (1, )),
                                               ([2, 2, -3], (0, 2))])
def test_parse_out_indices_normalises(indices, expected):
    assert parse_out_indices(indices, 3) == expected


def test_outputs_follow_stage_order():
    model = EfficientViT(out_indices=(2, 0)).eval()
    feats = model(torch.rand(1, 3, 64, 64))
    assert [f.shape[1] for f in feats] == [64, 192]


def test_deploy_is_idempotent_and_freezes_again():
    model = LEViTPose('tiny', frozen_stages=0)
    model.switch_to_deploy()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    model.switch_to_deploy()
    after = model.state_dict()
    assert before.keys() == after.keys()
    assert all(torch.equal(before[k], after[k]) for k in before)
    assert not any(p.requires_grad for p in model.stages[0].parameters())
    assert all(p.requires_grad for p in model.stages[1].parameters())


def test_train_keeps_frozen_stages_in_eval():
    model = EfficientViT(frozen_stages=1)
    model.eval().train()
    assert [s.training for s in model.stages] == [False, False, True]
