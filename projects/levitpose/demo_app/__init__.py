"""The top-down demo application behind ``demo/topdown_demo_with_mmdet.py``,
built on the inference API (:mod:`levitpose.apis`).

* :mod:`~.options`: :class:`DemoOptions`, declared once; the command line
  is generated from it;
* :mod:`~.inputs`: images, folders and videos, read item by item;
* :mod:`~.detectors`: person detectors (MMDetection, offline HOG fallback);
* :mod:`~.pipeline`: :class:`TopdownDemo`, detect, estimate and draw a
  frame;
* :mod:`~.outputs`: atomic image, JSON and video writers;
* :mod:`~.app`: :func:`run_topdown_demo`, the loop over the input;
* :mod:`~.memory_check`: resident memory of the inference loop over many
  frames (``tools/analysis_tools/memory_check.py``).

Not imported by ``import levitpose``.
"""
from .app import DemoResult, IncompleteRunError, run_topdown_demo
from .detectors import (HOGPersonDetector, MMDetPersonDetector,
                        VideoHOGPersonDetector, nms_boxes)
from .inputs import InputFrame, InputSource, iter_frames, open_input
from .options import (VIDEO_DET_INTERVAL, DemoOptions, add_demo_arguments,
                      check_options, options_from_args, resolve_pose_model)
from .outputs import AtomicVideoWriter, write_image, write_json
from .pipeline import TopdownDemo

__all__ = [
    'AtomicVideoWriter', 'DemoOptions', 'DemoResult', 'HOGPersonDetector',
    'VideoHOGPersonDetector', 'IncompleteRunError', 'InputFrame',
    'InputSource', 'MMDetPersonDetector', 'TopdownDemo', 'add_demo_arguments',
    'check_options', 'iter_frames', 'nms_boxes', 'open_input',
    'options_from_args', 'resolve_pose_model', 'run_topdown_demo',
    'VIDEO_DET_INTERVAL', 'write_image', 'write_json'
]
