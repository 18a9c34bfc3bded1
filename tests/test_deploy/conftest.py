"""Fixtures of the deployment tests: LEViTPose-T (MPII, 256x256) with
seeded random weights and non-trivial BatchNorm statistics
(``randomize_norms``, from ``tests/conftest.py``), fused."""
import pytest

CONFIG = ('configs/body_2d_keypoint/topdown_heatmap/mpii/'
          'td-hm_levitpose-t_8xb64-210e_mpii-256x256.py')


@pytest.fixture(scope='session')
def levitpose_t_config(repo_root) -> str:
    return str(repo_root / CONFIG)


@pytest.fixture(scope='session')
def levitpose_t_checkpoint(levitpose_t_config, randomize_norms,
                           tmp_path_factory) -> str:
    """A checkpoint of LEViTPose-T with seeded random weights."""
    import torch
    from mmpose.apis import init_model

    import levitpose  # noqa: F401
    torch.manual_seed(0)
    model = init_model(levitpose_t_config, None, device='cpu')
    randomize_norms(model)
    path = tmp_path_factory.mktemp('ckpt') / 'levitpose-t_random.pth'
    torch.save({'state_dict': model.state_dict()}, str(path))
    return str(path)


@pytest.fixture(scope='session')
def fused_levitpose_t(levitpose_t_config, levitpose_t_checkpoint):
    from levitpose.deploy import load_deploy_model
    return load_deploy_model(levitpose_t_config, levitpose_t_checkpoint)
