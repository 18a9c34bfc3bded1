"""Fixtures of the deployment tests: LEViTPose-T (MPII, 256x256) with
seeded random weights and non-trivial BatchNorm statistics, fused."""
import pytest

CONFIG = ('configs/body_2d_keypoint/topdown_heatmap/mpii/'
          'td-hm_levitpose-t_8xb64-210e_mpii-256x256.py')


def randomize_norm_stats(model, seed: int = 0) -> None:
    """Non-trivial BatchNorm statistics, so fusion/export bugs show."""
    import torch
    from torch.nn.modules.batchnorm import _BatchNorm
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, _BatchNorm):
                module.running_mean.normal_(0, 0.1, generator=generator)
                module.running_var.uniform_(0.5, 1.5, generator=generator)
                if module.affine:
                    module.weight.uniform_(0.5, 1.5, generator=generator)
                    module.bias.normal_(0, 0.1, generator=generator)


@pytest.fixture(scope='session')
def levitpose_t_config(repo_root) -> str:
    return str(repo_root / CONFIG)


@pytest.fixture(scope='session')
def levitpose_t_checkpoint(levitpose_t_config, tmp_path_factory) -> str:
    """A checkpoint of LEViTPose-T with seeded random weights."""
    import torch
    from mmpose.apis import init_model

    import levitpose  # noqa: F401
    torch.manual_seed(0)
    model = init_model(levitpose_t_config, None, device='cpu')
    randomize_norm_stats(model)
    path = tmp_path_factory.mktemp('ckpt') / 'levitpose-t_random.pth'
    torch.save({'state_dict': model.state_dict()}, str(path))
    return str(path)


@pytest.fixture(scope='session')
def fused_levitpose_t(levitpose_t_config, levitpose_t_checkpoint):
    from levitpose.deploy import load_deploy_model
    return load_deploy_model(levitpose_t_config, levitpose_t_checkpoint)


@pytest.fixture
def randomize_norms():
    """The :func:`randomize_norm_stats` helper."""
    return randomize_norm_stats
