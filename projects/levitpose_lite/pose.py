"""Top-down pose estimation with an exported ONNX heatmap model.

Like rtmlib's ``RTMPose``, :class:`TopDownPoseONNX` owns one ONNX Runtime
session and runs ``crop_boxes -> session.run -> decode_heatmaps`` with
numpy and OpenCV only. Export a model with
``tools/deployment/pytorch2onnx.py``; the exporter stores the data
preprocessor's mean, std and channel order in the ONNX metadata, which is
read here.
"""
import json
import os
from typing import Optional, Sequence, Tuple

import numpy as np

from .postprocess import decode_heatmaps, keypoints_to_image
from .preprocess import BBOX_PADDING, IMAGENET_MEAN, IMAGENET_STD, crop_boxes

__all__ = ['TopDownPoseONNX', 'DEVICES']

#: Supported devices and the ONNX Runtime provider each one needs.
DEVICES = {
    'cpu': 'CPUExecutionProvider',
    'cuda': 'CUDAExecutionProvider',
}


def _import_onnxruntime():
    try:
        import onnxruntime
    except ImportError as err:
        raise ImportError(
            'levitpose_lite needs ONNX Runtime: pip install onnxruntime '
            '(or onnxruntime-gpu for device="cuda")') from err
    return onnxruntime


class TopDownPoseONNX:
    """Top-down heatmap pose estimator running an ONNX model.

    Args:
        onnx_path (str): Path of the exported model; its input is
            ``(batch, 3, h, w)``, its output heatmaps ``(batch, K, H, W)``.
        input_size (Sequence[int], optional): Expected model input
            ``(w, h)``; a mismatch with the model raises ``ValueError``.
            Defaults to None (read from the model).
        device (str): ``'cpu'`` or ``'cuda'``. Defaults to ``'cpu'``.
        num_threads (int, optional): ONNX Runtime intra-op threads.
            Defaults to None (ONNX Runtime's choice).
        mean (Sequence[float], optional): Normalisation mean. Defaults to
            None (the model's metadata, else ImageNet).
        std (Sequence[float], optional): Normalisation std. Defaults to
            None (the model's metadata, else ImageNet).
        bgr_to_rgb (bool, optional): Swap BGR input to RGB. Defaults to
            None (the model's metadata, else True).
        padding (float): Box padding as MMPose's ``GetBBoxCenterScale``.
            Defaults to 1.25.
        max_batch_size (int, optional): Most crops per ``session.run``;
            bounds peak memory (about 1 GB for 100 LEViTPose-T crops in one
            call, under 300 MB in calls of 10). Defaults to None (all boxes
            of an image in one call).
    """

    def __init__(self,
                 onnx_path: str,
                 input_size: Optional[Sequence[int]] = None,
                 device: str = 'cpu',
                 num_threads: Optional[int] = None,
                 mean: Optional[Sequence[float]] = None,
                 std: Optional[Sequence[float]] = None,
                 bgr_to_rgb: Optional[bool] = None,
                 padding: float = BBOX_PADDING,
                 max_batch_size: Optional[int] = None) -> None:
        ort = _import_onnxruntime()
        if device not in DEVICES:
            raise ValueError(f'device must be one of {sorted(DEVICES)}, '
                             f'got {device!r}')
        provider = DEVICES[device]
        if provider not in ort.get_available_providers():
            raise ValueError(
                f'device {device!r} needs ONNX Runtime\'s {provider}, but '
                f'only {ort.get_available_providers()} are available')
        if not os.path.isfile(onnx_path):
            raise FileNotFoundError(f'ONNX model not found: {onnx_path!r}')
        for name, value in (('num_threads', num_threads), ('max_batch_size',
                                                           max_batch_size)):
            if value is not None and (not isinstance(value, int) or value < 1):
                raise ValueError(f'{name} must be a positive int or None, '
                                 f'got {value!r}')
        options = ort.SessionOptions()
        if num_threads is not None:
            options.intra_op_num_threads = num_threads
        state = ort.capi.onnxruntime_pybind11_state
        load_errors = (state.InvalidProtobuf, state.InvalidGraph, state.Fail,
                       state.NoSuchFile, state.NotImplemented,
                       state.InvalidArgument)
        try:
            self.session = ort.InferenceSession(
                onnx_path, sess_options=options, providers=[provider])
        except load_errors as err:
            raise ValueError(f'cannot load ONNX model {onnx_path!r}: '
                             f'{err}') from err
        self.input_name, self.input_size = self._model_input()
        if input_size is not None and tuple(input_size) != self.input_size:
            raise ValueError(
                f'input_size {tuple(input_size)} does not match the model '
                f'{onnx_path!r}, which takes (w, h) = {self.input_size}')
        meta = self.session.get_modelmeta().custom_metadata_map
        self.mean = self._meta(mean, meta, 'mean', IMAGENET_MEAN)
        self.std = self._meta(std, meta, 'std', IMAGENET_STD)
        self.bgr_to_rgb = self._meta(bgr_to_rgb, meta, 'bgr_to_rgb', True)
        self.padding = padding
        self.max_batch_size = max_batch_size

    @staticmethod
    def _meta(value, meta: dict, key: str, default):
        if value is not None:
            return value
        return json.loads(meta[key]) if key in meta else default

    def _model_input(self) -> Tuple[str, Tuple[int, int]]:
        inputs = self.session.get_inputs()
        if len(inputs) != 1 or len(inputs[0].shape) != 4:
            raise ValueError(
                'expected a model with one (batch, 3, h, w) input, got '
                f'{[(i.name, i.shape) for i in inputs]}')
        _, channels, h, w = inputs[0].shape
        if channels != 3 or not all(isinstance(v, int) for v in (h, w)):
            raise ValueError('expected a (batch, 3, h, w) input with fixed '
                             f'h and w, got {inputs[0].shape}')
        return inputs[0].name, (w, h)

    def _empty_result(self) -> Tuple[np.ndarray, np.ndarray]:
        num_keypoints = self.session.get_outputs()[0].shape[1]
        if not isinstance(num_keypoints, int):
            num_keypoints = 0
        return (np.zeros((0, num_keypoints, 2),
                         np.float32), np.zeros((0, num_keypoints), np.float32))

    def _estimate(self, image: np.ndarray,
                  bboxes: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """Crop, run one ``session.run`` on all ``bboxes``, decode."""
        batch, centers, scales = crop_boxes(image, bboxes, self.input_size,
                                            self.padding, self.mean, self.std,
                                            self.bgr_to_rgb)
        heatmaps = self.session.run(None, {self.input_name: batch})[0]
        keypoints, scores = decode_heatmaps(heatmaps, self.input_size)
        keypoints = keypoints_to_image(keypoints, centers, scales,
                                       self.input_size)
        return keypoints, scores

    def __call__(self,
                 image: np.ndarray,
                 bboxes: Optional[np.ndarray] = None
                 ) -> Tuple[np.ndarray, np.ndarray]:
        """Estimate the keypoints of the persons in ``bboxes``.

        Args:
            image (np.ndarray): The image (H, W, 3), uint8, BGR as read by
                ``cv2.imread``.
            bboxes (np.ndarray, optional): Person boxes ``(x1, y1, x2,
                y2[, score])`` in shape (N, 4) or (N, 5). Defaults to None
                (the whole image is one box, as in MMPose).

        Returns:
            tuple: ``keypoints`` (N, K, 2) in image pixels and ``scores``
            (N, K).
        """
        image = np.asarray(image)
        if image.ndim != 3 or image.shape[2] != 3:
            raise ValueError('image must have shape (H, W, 3), got '
                             f'{image.shape}')
        if bboxes is None:
            bboxes = np.array([[0, 0, image.shape[1], image.shape[0]]])
        bboxes = np.asarray(bboxes, dtype=np.float32)
        if bboxes.size == 0:
            return self._empty_result()
        if bboxes.ndim != 2 or bboxes.shape[1] not in (4, 5):
            raise ValueError('bboxes must have shape (N, 4) or (N, 5) '
                             f'(x1, y1, x2, y2[, score]), got {bboxes.shape}')
        bboxes = bboxes[:, :4]
        step = self.max_batch_size or len(bboxes)
        results = [
            self._estimate(image, bboxes[i:i + step])
            for i in range(0, len(bboxes), step)
        ]
        keypoints = np.concatenate([r[0] for r in results])
        scores = np.concatenate([r[1] for r in results])
        return keypoints, scores
