"""Fixtures of the lite runtime tests: the shipped checkpoint exported to
ONNX and quantised to int8, each once per test run (the real COCO samples,
the random-weight export and the export itself are shared with the tool
tests, in ``tests/conftest.py``)."""
import pytest

SAMPLE = 'data/sample-coco/'
DET_FILE = SAMPLE + 'person_detection_results/' \
    'sample_detections_AP_H_56_person.json'


@pytest.fixture(scope='session')
def shipped_onnx(repo_root, shipped_onnx_of) -> str:
    """The first shipped checkpoint (``checkpoints/X.pth`` trained with
    ``configs/quickstart/X.py``) exported to ONNX: a trained model, whose
    heatmaps have clear maxima (random weights give flat ones)."""
    shipped = [(repo_root / 'configs/quickstart' / f'{c.stem}.py', c)
               for c in sorted((repo_root / 'checkpoints').glob('*.pth'))]
    shipped = [(cfg, c) for cfg, c in shipped if cfg.is_file()]
    assert shipped, 'no checkpoints/X.pth with configs/quickstart/X.py'
    return shipped_onnx_of(*shipped[0])


@pytest.fixture(scope='session')
def shipped_int8(shipped_onnx, repo_root, build_once) -> str:
    """:func:`shipped_onnx` quantised with the default settings
    (``int8_settings()``: dense convolutions, the range this CPU needs),
    calibrated on the detector's boxes of the bundled images."""
    from levitpose_lite import TopDownPoseONNX
    from levitpose_lite.quantize import (calibration_crops, int8_settings,
                                         load_calibration_boxes,
                                         quantize_model)

    def build(work):
        crops = calibration_crops(
            TopDownPoseONNX(shipped_onnx), str(repo_root / SAMPLE / 'images'),
            load_calibration_boxes(str(repo_root / DET_FILE)))
        quantize_model(shipped_onnx, str(work / 'int8.onnx'), crops,
                       int8_settings())

    return str(build_once('shipped_int8', build) / 'int8.onnx')
