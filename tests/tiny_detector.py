"""A randomly initialised tiny RTMDet (MMDetection) exported to ONNX in the
layout :class:`levitpose_lite.detectors.ONNXPersonDetector` expects.

MMDeploy is not installed here, so the export is done by a small wrapper:
backbone, neck and head as MMDetection runs them, the head's outputs
decoded into ``dets`` (1, N, 5) and ``labels`` (1, N) for all N priors,
without NMS (the lite detector applies its own). Imported by the lite
and tool tests (``tests`` is on ``sys.path``).
"""
from pathlib import Path

TINY_RTMDET = Path(__file__).resolve().parent / 'test_demo' / 'data' / \
    'tiny_rtmdet_person.py'
#: The input size of the tiny config's test pipeline, ``(w, h)``.
INPUT_SIZE = (320, 320)


def export_tiny_rtmdet(onnx_path: str, seed: int = 0):
    """Build the tiny RTMDet with seeded random weights, export it to
    ``onnx_path``; returns the MMDetection model (on CPU, eval mode)."""
    import torch
    from mmdet.apis import init_detector

    class DetsAndLabels(torch.nn.Module):

        def __init__(self, detector):
            super().__init__()
            self.detector = detector

        def forward(self, x):
            head = self.detector.bbox_head
            cls_scores, bbox_preds = head(self.detector.extract_feat(x))
            priors = head.prior_generator.grid_priors(
                [c.shape[-2:] for c in cls_scores],
                dtype=x.dtype,
                device=x.device)
            num_classes = cls_scores[0].shape[1]
            scores = torch.cat([
                c.permute(0, 2, 3, 1).reshape(1, -1, num_classes)
                for c in cls_scores
            ], 1).sigmoid()
            distances = torch.cat(
                [b.permute(0, 2, 3, 1).reshape(1, -1, 4) for b in bbox_preds],
                1)
            boxes = head.bbox_coder.decode(torch.cat(priors)[None], distances)
            score, label = scores.max(-1)
            return torch.cat([boxes, score[..., None]], -1), label

    torch.manual_seed(seed)
    model = init_detector(str(TINY_RTMDET), None, device='cpu').eval()
    w, h = INPUT_SIZE
    with torch.no_grad():
        torch.onnx.export(
            DetsAndLabels(model).eval(), (torch.zeros(1, 3, h, w), ),
            onnx_path,
            input_names=['input'],
            output_names=['dets', 'labels'],
            dynamo=False,
            opset_version=17)
    return model.eval()  # the exporter restores the wrapper's mode
