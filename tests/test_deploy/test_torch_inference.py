"""The PyTorch CPU inference form (deploy/torch_inference.py): one call,
the same heatmaps as the training graph, any model, bad options refused."""
import pytest
import torch
from torch.nn.modules.batchnorm import _BatchNorm

from levitpose.apis import init_pose_model
from levitpose.deploy import optimize_for_cpu
from levitpose.deploy.torch_inference import INFERENCE_MODES
from levitpose.utils import LEViTPoseError, UsageError

QUICKSTART = 'configs/quickstart/levitpose-t_sample-coco-256x256.py'
SHIPPED = 'checkpoints/levitpose-t_sample-coco-256x256.pth'
MBV2 = ('mmpose::body_2d_keypoint/topdown_heatmap/mpii/'
        'td-hm_mobilenetv2_8xb64-210e_mpii-256x256.py')


def heatmaps(model, x):
    with torch.no_grad():
        return model(x, None, 'tensor')


@pytest.fixture
def random_t(levitpose_t_config, randomize_norms):
    torch.manual_seed(0)
    model = init_pose_model(levitpose_t_config)
    randomize_norms(model)
    with torch.no_grad():  # non-trivial LayerNorm affines too
        for name, param in model.named_parameters():
            if 'norm' in name:
                param.uniform_(
                    0.5, 1.5) if name.endswith('weight') else param.normal_(
                        0, 0.1)
    return model.eval()


@pytest.mark.parametrize('mode', [
    pytest.param(mode, marks=pytest.mark.slow) if mode == 'compile' else mode
    for mode in INFERENCE_MODES
])  # compile: about a minute per batch size on two cores
def test_matches_the_training_graph(random_t, mode):
    fast = optimize_for_cpu(random_t, (1, 3, 256, 256), mode=mode)
    for batch in (1, 3):  # built for batch 1, run at others too
        x = torch.rand(
            batch, 3, 256, 256, generator=torch.Generator().manual_seed(batch))
        with torch.no_grad():
            got = fast(x)
        torch.testing.assert_close(
            got, heatmaps(random_t, x), rtol=0, atol=1e-4)


def test_shipped_checkpoint_gives_the_same_heatmaps(repo_root):
    model = init_pose_model(
        str(repo_root / QUICKSTART), str(repo_root / SHIPPED)).eval()
    x = torch.rand(2, 3, 256, 256, generator=torch.Generator().manual_seed(0))
    fast = optimize_for_cpu(model, (2, 3, 256, 256))
    with torch.no_grad():
        got = fast(x)
    torch.testing.assert_close(got, heatmaps(model, x), rtol=0, atol=1e-4)


def test_jit_form_is_a_frozen_trace(random_t):
    fast = optimize_for_cpu(random_t, (1, 3, 256, 256))
    assert isinstance(fast, torch.jit.ScriptModule)
    assert not list(fast.parameters())  # frozen: weights are constants


def test_leaves_the_given_model_as_it_was(random_t):
    optimize_for_cpu(random_t, (1, 3, 256, 256), mode='deploy')
    assert not random_t.backbone.deploy
    assert any(isinstance(m, _BatchNorm) for m in random_t.modules())


def test_peers_get_their_conv_bn_pairs_fused(randomize_norms):
    model = init_pose_model(MBV2).eval()
    randomize_norms(model)
    fast = optimize_for_cpu(model, (1, 3, 256, 256), mode='deploy')
    # mmcv's fuse_conv_bn folds every BN that follows a Conv2d; the head's
    # transposed convolutions keep theirs (mmcv fuses Conv2d only)
    left = [n for n, m in fast.named_modules() if isinstance(m, _BatchNorm)]
    assert left and all('head.deconv_layers' in n for n in left)
    assert not any(
        isinstance(m, _BatchNorm) for m in fast.estimator.backbone.modules())
    x = torch.rand(1, 3, 256, 256, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        torch.testing.assert_close(
            fast(x), heatmaps(model, x), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize('kwargs, match', [
    (dict(mode='tensorrt'),
     "mode must be one of \\['deploy', 'jit', 'compile'\\]"),
    (dict(input_shape=(1, 256, 256)), 'input_shape must be'),
    (dict(input_shape=(1, 1, 256, 256)), 'input_shape must be'),
    (dict(input_shape=(0, 3, 256, 256)), 'input_shape must be'),
])
def test_bad_options_are_usage_errors(random_t, kwargs, match):
    with pytest.raises(UsageError, match=match):
        optimize_for_cpu(random_t, **kwargs)


def test_compile_failure_is_one_line(random_t, monkeypatch):
    # what a machine without a C++ compiler gives: inductor raises at the
    # first forward, which optimize_for_cpu runs
    def no_compiler(model, **kwargs):

        def run(x):
            raise RuntimeError('InvalidCxxCompiler: No working C++ compiler '
                               'found in torch._inductor.config.cpp.cxx\n'
                               'more detail')

        return run

    monkeypatch.setattr(torch, 'compile', no_compiler)
    with pytest.raises(LEViTPoseError) as info:
        optimize_for_cpu(random_t, (1, 3, 64, 64), mode='compile')
    assert str(info.value) == (
        'torch.compile (inductor) failed on this machine: RuntimeError: '
        'InvalidCxxCompiler: No working C++ compiler found in '
        "torch._inductor.config.cpp.cxx; use mode 'jit'")
