"""Top-down pose estimation with an exported ONNX model.

Like rtmlib's ``BaseTool`` and ``RTMPose``, :class:`TopDownPoseONNX` owns
one inference session and runs ``crop_boxes -> session.run -> decode`` with
numpy and OpenCV only. The session comes from :mod:`.backends`: ONNX
Runtime (the default) or OpenVINO, for an fp32 export
(``tools/deployment/pytorch2onnx.py``, ``export_simcc_onnx.py``) or its
int8 version (``tools/deployment/quantize_onnx.py``). The exporters store
the data preprocessor's mean, std and channel order, and the decoder
(``decoder``: ``heatmap`` or ``simcc``, with the SimCC split), in the ONNX
metadata, which is read once here, the same way for both backends.
"""
import functools
import json
from typing import Callable, Optional, Sequence, Tuple

import numpy as np

from .backends import BACKENDS, DEVICES, create_session
from .postprocess import decode_heatmaps, decode_simcc, keypoints_to_image
from .preprocess import BBOX_PADDING, IMAGENET_MEAN, IMAGENET_STD, crop_boxes

__all__ = ['TopDownPoseONNX', 'DECODERS', 'DEVICES', 'BACKENDS']

#: The model outputs decoded, by the ``decoder`` key of the ONNX metadata
#: (no key: ``heatmap``, as ``pytorch2onnx.py`` exports).
DECODERS = ('heatmap', 'simcc')


class TopDownPoseONNX:
    """Top-down pose estimator running an ONNX heatmap or SimCC model.

    Args:
        onnx_path (str): Path of the exported model (fp32 or int8); its
            input is ``(batch, 3, h, w)``, its output heatmaps
            ``(batch, K, H, W)`` or joined SimCC vectors
            ``(batch, K, 1, Wx + Wy)``, as its metadata's ``decoder`` says
            (see :data:`DECODERS`).
        input_size (Sequence[int], optional): Expected model input
            ``(w, h)``; a mismatch with the model raises ``ValueError``.
            Defaults to None (read from the model).
        device (str): ``'cpu'``, or ``'cuda'`` with ONNX Runtime. Defaults
            to ``'cpu'``.
        num_threads (int, optional): Inference threads. Defaults to None
            (the backend's choice).
        mean (Sequence[float], optional): Normalisation mean. Defaults to
            None (the model's metadata, else ImageNet).
        std (Sequence[float], optional): Normalisation std. Defaults to
            None (the model's metadata, else ImageNet).
        bgr_to_rgb (bool, optional): Swap BGR input to RGB. Defaults to
            None (the model's metadata, else True).
        padding (float): Box padding as MMPose's ``GetBBoxCenterScale``.
            Defaults to 1.25.
        max_batch_size (int, optional): Most crops per ``session.run``;
            bounds peak memory (LEViTPose-T in ONNX Runtime, 100 crops:
            1906 MiB peak RSS in one call, 292 MiB in calls of 10; see
            ``docs/deployment.md``). Defaults to None (all boxes of an image
            in one call).
        backend (str): ``'onnxruntime'`` or ``'openvino'`` (optional
            dependency: ``pip install openvino``). Defaults to
            ``'onnxruntime'``.
        spinning (bool): ONNX Runtime's idle threads spin; turn off when
            other runtimes share the process (see
            :func:`~levitpose_lite.backends.ort_session`). Defaults to True.
        precision (str): ``'fp32'``, or ``'bf16'`` with OpenVINO on a CPU
            with bfloat16 instructions (float layers in bfloat16; see
            :data:`~levitpose_lite.backends.PRECISIONS`). Defaults to
            ``'fp32'``.
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
                 max_batch_size: Optional[int] = None,
                 backend: str = 'onnxruntime',
                 spinning: bool = True,
                 precision: str = 'fp32') -> None:
        if backend not in BACKENDS:
            raise ValueError(f'backend must be one of {list(BACKENDS)}, '
                             f'got {backend!r}')
        if max_batch_size is not None and (not isinstance(max_batch_size, int)
                                           or max_batch_size < 1):
            raise ValueError('max_batch_size must be a positive int or None, '
                             f'got {max_batch_size!r}')
        self.session = create_session(onnx_path, backend, device, num_threads,
                                      spinning, precision)
        self.backend = backend
        self.input_size = self._model_input_size()
        if input_size is not None and tuple(input_size) != self.input_size:
            raise ValueError(
                f'input_size {tuple(input_size)} does not match the model '
                f'{onnx_path!r}, which takes (w, h) = {self.input_size}')
        meta = self.session.metadata
        self.decoder = meta.get('decoder', DECODERS[0])
        self._decode = self._pick_decoder(meta, onnx_path)
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

    def _pick_decoder(
        self, meta: dict, onnx_path: str
    ) -> Callable[[np.ndarray], Tuple[np.ndarray, np.ndarray]]:
        """The function decoding the model's output to keypoints in input
        pixels and scores, by the metadata's ``decoder`` key."""
        if self.decoder == 'heatmap':
            return functools.partial(
                decode_heatmaps, input_size=self.input_size)
        if self.decoder == 'simcc':
            try:
                return functools.partial(
                    decode_simcc,
                    split=int(meta['simcc_split']),
                    split_ratio=float(meta['simcc_split_ratio']))
            except (KeyError, ValueError) as err:
                raise ValueError(
                    f'{onnx_path!r} is a SimCC model without a valid '
                    f'simcc_split/simcc_split_ratio in its metadata ({err})'
                ) from err
        raise ValueError(f'{onnx_path!r} is a {self.decoder!r} model; '
                         f'levitpose_lite decodes {" and ".join(DECODERS)} '
                         'models')

    def _model_input_size(self) -> Tuple[int, int]:
        shapes = self.session.input_shapes
        if len(shapes) != 1 or len(shapes[0]) != 4:
            raise ValueError(
                'expected a model with one (batch, 3, h, w) input, got '
                f'{list(zip(self.session.input_names, shapes))}')
        _, channels, h, w = shapes[0]
        if channels != 3 or h is None or w is None:
            raise ValueError('expected a (batch, 3, h, w) input with fixed '
                             f'h and w, got {shapes[0]}')
        outputs = self.session.output_shapes
        if len(outputs) != 1 or len(outputs[0]) != 4:
            raise ValueError('expected one 4-D output (heatmaps (batch, K, '
                             'H, W) or SimCC (batch, K, 1, Wx + Wy)), got '
                             f'output shapes {outputs}')
        return w, h

    def preprocess(self, image: np.ndarray, bboxes: np.ndarray
                   ) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The model's input batch for ``bboxes`` (N, 4) of ``image``.

        Returns:
            tuple: ``batch`` (N, 3, h, w) float32, crop ``centers`` and
            ``scales`` (N, 2), as :func:`crop_boxes`.
        """
        return crop_boxes(image, bboxes, self.input_size, self.padding,
                          self.mean, self.std, self.bgr_to_rgb)

    def _empty_result(self) -> Tuple[np.ndarray, np.ndarray]:
        num_keypoints = self.session.output_shapes[0][1] or 0
        return (np.zeros((0, num_keypoints, 2),
                         np.float32), np.zeros((0, num_keypoints), np.float32))

    def _estimate(self, image: np.ndarray,
                  bboxes: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """Crop, run one ``session.run`` on all ``bboxes``, decode."""
        batch, centers, scales = self.preprocess(image, bboxes)
        keypoints, scores = self._decode(self.session.run(batch)[0])
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
