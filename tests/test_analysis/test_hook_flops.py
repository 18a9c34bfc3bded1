"""The paper-convention counter (levitpose/analysis/hook_flops.py) against
counts computed by hand with mmcv 1.x's rules, on small modules."""
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from levitpose.analysis.hook_flops import count_paper_flops, paper_param_count


def flops(module, *shape):
    """Paper-convention FLOPs per image of ``module`` on ``rand(*shape)``."""
    return count_paper_flops(module.eval(), (torch.rand(*shape), ))['flops']


def test_conv_with_bias():
    # per output position 3*3 * 3 in * 8 out, plus 8 for the bias; 10x10
    conv = nn.Conv2d(3, 8, 3, padding=1)
    assert flops(conv, 1, 3, 10, 10) == (3 * 3 * 3 * 8 + 8) * 10 * 10


def test_conv_without_bias():
    conv = nn.Conv2d(3, 8, 3, padding=1, bias=False)
    assert flops(conv, 1, 3, 10, 10) == 3 * 3 * 3 * 8 * 10 * 10


def test_strided_conv_counts_output_positions():
    conv = nn.Conv2d(4, 6, 3, stride=2, padding=1)  # 8x6 -> 4x3
    assert flops(conv, 1, 4, 8, 6) == (3 * 3 * 4 * 6 + 6) * 4 * 3


def test_grouped_conv():
    # kernel * C_in * C_out / groups per output position
    conv = nn.Conv2d(8, 16, 3, padding=1, groups=4, bias=False)
    assert flops(conv, 1, 8, 5, 6) == 3 * 3 * 8 * (16 // 4) * 5 * 6


def test_depthwise_conv():
    conv = nn.Conv2d(8, 8, 5, padding=2, groups=8, bias=False)
    assert flops(conv, 1, 8, 7, 7) == 5 * 5 * 8 * 1 * 7 * 7


def test_conv1d():
    conv = nn.Conv1d(4, 2, 3, bias=False)  # length 10 -> 8
    assert flops(conv, 1, 4, 10) == 3 * 4 * 2 * 8


def test_transposed_conv_counts_input_positions():
    deconv = nn.ConvTranspose2d(4, 6, 4, stride=2, padding=1, bias=False)
    assert flops(deconv, 1, 4, 3, 5) == 4 * 4 * 4 * 6 * 3 * 5


def test_transposed_conv_bias_uses_h_out_squared():
    """mmcv 1.x counts the bias over H_out * H_out, not H_out * W_out."""
    deconv = nn.ConvTranspose2d(4, 6, 4, stride=2, padding=1)  # 3x5 -> 6x10
    assert flops(deconv, 1, 4, 3, 5) == 4 * 4 * 4 * 6 * 3 * 5 + 6 * 6 * 6


def test_grouped_transposed_conv():
    deconv = nn.ConvTranspose2d(8, 8, 4, 2, 1, groups=4, bias=False)
    assert flops(deconv, 1, 8, 3, 3) == 4 * 4 * 8 * (8 // 4) * 3 * 3


@pytest.mark.parametrize('bias', [True, False])
def test_linear_counts_no_bias(bias):
    linear = nn.Linear(6, 10, bias=bias)
    assert flops(linear, 1, 7, 6) == 7 * 6 * 10


@pytest.mark.parametrize('norm, shape, elements', [
    (nn.BatchNorm2d(4), (1, 4, 5, 5), 100),
    (nn.BatchNorm1d(4), (2, 4, 3), 12),
    (nn.LayerNorm(6), (1, 7, 6), 42),
    (nn.GroupNorm(2, 4), (1, 4, 3, 3), 36),
    (nn.InstanceNorm2d(4, affine=True), (1, 4, 3, 3), 36),
])
def test_affine_norm_counts_twice_its_input(norm, shape, elements):
    assert flops(norm, *shape) == 2 * elements


@pytest.mark.parametrize('norm, shape, elements', [
    (nn.BatchNorm2d(4, affine=False), (1, 4, 5, 5), 100),
    (nn.LayerNorm(6, elementwise_affine=False), (1, 7, 6), 42),
    (nn.InstanceNorm2d(4), (1, 4, 3, 3), 36),
])
def test_plain_norm_counts_its_input(norm, shape, elements):
    assert flops(norm, *shape) == elements


@pytest.mark.parametrize('act', [
    nn.ReLU(),
    nn.ReLU6(),
    nn.LeakyReLU(),
    nn.PReLU(),
    nn.ELU(),
])
def test_relu_family_counts_its_output(act):
    assert flops(act, 1, 4, 5, 5) == 100


@pytest.mark.parametrize('pool, shape, elements', [
    (nn.MaxPool2d(2), (1, 4, 8, 8), 256),
    (nn.AvgPool2d(3, stride=1), (1, 4, 8, 8), 256),
    (nn.AdaptiveAvgPool2d(3), (1, 4, 9, 6), 216),
    (nn.AdaptiveAvgPool2d(7), (1, 2, 4, 3), 24),
    (nn.AdaptiveMaxPool2d(1), (1, 4, 5, 5), 100),
])
def test_pooling_counts_its_input(pool, shape, elements):
    assert flops(pool, *shape) == elements


def test_upsample_counts_its_output():
    assert flops(nn.Upsample(scale_factor=2), 1, 2, 3, 4) == 2 * 6 * 8


class SubConv(nn.Conv2d):
    pass


class SubReLU(nn.ReLU):
    pass


@pytest.mark.parametrize('module', [
    nn.GELU(),
    nn.Sigmoid(),
    nn.Hardswish(),
    nn.SiLU(),
    nn.Softmax(dim=1),
    nn.Identity(),
    SubConv(4, 4, 3, padding=1),
    SubReLU(),
])
def test_other_types_and_subclasses_cost_nothing(module):
    assert flops(module, 1, 4, 5, 5) == 0


def mmcv_wrappers():
    from mmcv.cnn.bricks import wrappers
    return wrappers


@pytest.mark.parametrize('name, args, shape, expected', [
    ('Conv2d', (3, 8, 3, 1, 1), (1, 3, 10, 10), (3 * 3 * 3 * 8 + 8) * 100),
    ('ConvTranspose2d', (4, 6, 4, 2, 1),
     (1, 4, 3, 5), 4 * 4 * 4 * 6 * 3 * 5 + 6 * 6 * 6),
    ('Linear', (6, 10), (1, 7, 6), 7 * 6 * 10),
    ('MaxPool2d', (2, ), (1, 4, 8, 8), 256),
])
def test_mmcv_wrappers_count_as_torch_layers(name, args, shape, expected):
    """mmcv 1.x mapped its wrappers (MMPose's ``HeatmapHead`` builds its
    deconvolutions as ``mmcv.cnn.bricks.wrappers.ConvTranspose2d``)."""
    module = getattr(mmcv_wrappers(), name)(*args)
    assert flops(module, *shape) == expected


class Functional(nn.Module):
    """Matmul, softmax, addition, interpolation and activations called as
    functions: invisible to module hooks."""

    def forward(self, x):
        attn = (x @ x.transpose(-2, -1)).softmax(-1)
        y = F.relu(attn @ x) + x
        return F.interpolate(y, scale_factor=2.) * torch.sigmoid(y).mean()


def test_functional_operations_cost_nothing():
    assert flops(Functional(), 1, 2, 6, 6) == 0


def test_container_sums_its_counted_children():
    model = nn.Sequential(
        nn.Conv2d(3, 4, 1, bias=False), nn.BatchNorm2d(4), nn.ReLU(),
        nn.GELU())
    hw = 5 * 5
    assert flops(model, 1, 3, 5, 5) == 3 * 4 * hw + 2 * 4 * hw + 4 * hw


def test_a_module_called_twice_counts_twice():

    class Twice(nn.Module):

        def __init__(self):
            super().__init__()
            self.act = nn.ReLU()

        def forward(self, x):
            return self.act(self.act(x))

    assert flops(Twice(), 1, 2, 3, 3) == 2 * 18


@pytest.mark.parametrize('batch', [1, 2, 4])
def test_figures_are_per_image(batch):
    model = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU())
    assert flops(model, batch, 3, 6, 6) == (3 * 3 * 3 * 8 + 8 + 8) * 36


def test_by_module_names_every_counted_module():
    model = nn.Sequential(nn.Conv2d(2, 2, 1), nn.GELU(), nn.ReLU())
    result = count_paper_flops(model, (torch.rand(1, 2, 3, 3), ))
    assert result['by_module'] == {'0': (2 * 2 + 2) * 9, '2': 18}


def test_params_count_only_trainable_ones():
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.Linear(4, 5))
    model[0].weight.requires_grad_(False)
    assert paper_param_count(model) == 4 + 4 * 5 + 5
    result = count_paper_flops(model[1], (torch.rand(1, 4), ))
    assert result['params'] == 4 * 5 + 5


def test_hooks_are_removed_even_when_forward_fails():
    model = nn.Sequential(nn.ReLU(), nn.Linear(3, 2))
    with pytest.raises(RuntimeError):
        count_paper_flops(model, (torch.rand(1, 4), ))  # 4 != 3 features
    assert not any(m._forward_hooks for m in model.modules())
