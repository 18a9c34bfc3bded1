"""exporting() (models/layers/exporting.py): true while either ONNX
exporter traces the model, false otherwise."""
import pytest
import torch

from levitpose.models.layers.exporting import exporting


def test_false_outside_an_export():
    assert exporting() is False


@pytest.mark.parametrize(
    'flag', [(torch.onnx, 'is_in_onnx_export'),
             (torch.compiler, 'is_exporting')],
    ids=['torchscript-exporter', 'torch.export'])
def test_true_while_either_exporter_traces(flag, monkeypatch):
    monkeypatch.setattr(*flag, lambda: True)
    assert exporting() is True
