"""Whether the model is being exported, for the layers that compute in
another (equal) form while an exporter traces them."""
import torch

__all__ = ['exporting']


def exporting() -> bool:
    """True while either ONNX exporter traces the model: the TorchScript-
    based one (``torch.onnx.is_in_onnx_export``) or the one built on
    ``torch.export`` (``torch.compiler.is_exporting``)."""
    return torch.onnx.is_in_onnx_export() or torch.compiler.is_exporting()
