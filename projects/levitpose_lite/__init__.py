"""levitpose_lite: a torch-free top-down pose runtime for LEViTPose.

It needs only numpy, OpenCV and ONNX Runtime (see ``requirements/lite.txt``),
like rtmlib does for RTMPose. It never imports torch or the mm* packages.
"""
__all__ = []
