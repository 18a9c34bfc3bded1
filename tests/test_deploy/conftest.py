"""Fixtures of the deployment tests: LEViTPose-T (MPII, 256x256) with
seeded random weights and non-trivial BatchNorm statistics
(``randomize_norms``, from ``tests/conftest.py``), fused, and exported by
``pytorch2onnx.py``; the checkpoint and the export once per test run."""
import pytest

CONFIG = ('configs/body_2d_keypoint/topdown_heatmap/mpii/'
          'td-hm_levitpose-t_8xb64-210e_mpii-256x256.py')


@pytest.fixture(scope='session')
def levitpose_t_config(repo_root) -> str:
    return str(repo_root / CONFIG)


@pytest.fixture(scope='session')
def levitpose_t_checkpoint(levitpose_t_config, randomize_norms,
                           build_once) -> str:
    """A checkpoint of LEViTPose-T with seeded random weights, saved once
    per test run."""

    def build(work):
        import torch
        from mmpose.apis import init_model

        import levitpose  # noqa: F401
        torch.manual_seed(0)
        model = init_model(levitpose_t_config, None, device='cpu')
        randomize_norms(model)
        torch.save({'state_dict': model.state_dict()},
                   str(work / 'levitpose-t_random.pth'))

    work = build_once('levitpose_t_mpii', build)
    return str(work / 'levitpose-t_random.pth')


@pytest.fixture(scope='session')
def fused_levitpose_t(levitpose_t_config, levitpose_t_checkpoint):
    from levitpose.deploy import load_deploy_model
    return load_deploy_model(levitpose_t_config, levitpose_t_checkpoint)


@pytest.fixture(scope='session')
def levitpose_t_onnx(levitpose_t_config, levitpose_t_checkpoint,
                     pytorch2onnx_once):
    """``(onnx_path, printed)``: ``pytorch2onnx.py`` on the checkpoint with
    its default options, run once per test run (the tool's test checks what
    it printed; the export tests read the file)."""
    return pytorch2onnx_once('levitpose_t_mpii_onnx', levitpose_t_config,
                             levitpose_t_checkpoint)
