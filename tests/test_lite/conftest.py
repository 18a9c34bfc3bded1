"""Fixtures of the lite runtime tests: the shipped checkpoint exported to
ONNX (the real COCO samples and the random-weight export are shared with
the tool tests, in ``tests/conftest.py``)."""
import pytest


@pytest.fixture(scope='session')
def shipped_onnx(repo_root, tmp_path_factory):
    """The first shipped checkpoint (``checkpoints/X.pth`` trained with
    ``configs/quickstart/X.py``) exported to ONNX: a trained model, whose
    heatmaps have clear maxima (random weights give flat ones)."""
    from mmengine.config import Config

    from levitpose.deploy import (default_input_shape, export_onnx,
                                  load_deploy_model, preprocessor_metadata)
    shipped = [(repo_root / 'configs/quickstart' / f'{c.stem}.py', c)
               for c in sorted((repo_root / 'checkpoints').glob('*.pth'))]
    shipped = [(str(cfg), str(c)) for cfg, c in shipped if cfg.is_file()]
    assert shipped, 'no checkpoints/X.pth with configs/quickstart/X.py'
    config, checkpoint = shipped[0]
    onnx_path = str(tmp_path_factory.mktemp('shipped') / 'shipped.onnx')
    cfg = Config.fromfile(config)
    export_onnx(
        load_deploy_model(config, checkpoint),
        onnx_path,
        default_input_shape(cfg),
        metadata=preprocessor_metadata(cfg))
    return onnx_path
