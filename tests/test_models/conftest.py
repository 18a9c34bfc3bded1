"""Shared helpers of the model tests."""
import pytest
import torch
from torch import nn


def randomize_bn_stats(model: nn.Module, seed: int = 0) -> nn.Module:
    """Give every BatchNorm random statistics and affine parameters.

    Fresh (mean 0, var 1) or zero-initialised BNs would hide fusion bugs.
    """
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.modules.batchnorm._BatchNorm):
                n = module.num_features
                module.running_mean.copy_(torch.randn(n, generator=gen) * .1)
                module.running_var.copy_(torch.rand(n, generator=gen) + .5)
                module.weight.copy_(torch.rand(n, generator=gen) * .5 + .25)
                module.bias.copy_(torch.randn(n, generator=gen) * .1)
    return model


@pytest.fixture
def randomize_bn():
    """The :func:`randomize_bn_stats` helper."""
    return randomize_bn_stats


def assert_fuses_exactly(module: nn.Module, x: torch.Tensor) -> nn.Module:
    """Fuse ``module`` (random BN statistics, eval mode) in place; check no
    BatchNorm is left and the output on ``x`` is unchanged."""
    from levitpose.models.layers import fuse_modules
    module = randomize_bn_stats(module).eval()
    expected = module(x)
    fuse_modules(module)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in module.modules())
    torch.testing.assert_close(module(x), expected, rtol=0, atol=1e-5)
    return module


@pytest.fixture
def assert_fuses():
    """The :func:`assert_fuses_exactly` helper."""
    return assert_fuses_exactly
