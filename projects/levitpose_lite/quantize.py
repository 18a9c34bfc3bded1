"""Static int8 quantisation of a ``levitpose_lite`` model (ONNX Runtime).

Calibration data are real person crops, made by
:meth:`TopDownPoseONNX.preprocess` exactly as the runtime makes them at
inference (box padding, aspect ratio, warp, the model's own mean, std and
channel order from its metadata). The settings follow ONNX Runtime's
``quantize_static`` guidance for the CPU at hand (:func:`int8_settings`):
QDQ format, uint8 activations with int8 weights on x86-64 (int8 with int8 on
ARM), per-channel weights, and 7-bit weights (``reduce_range``) on x86-64
CPUs without VNNI, whose 8-bit multiply-add can saturate.

Needs the ``onnx`` package besides ONNX Runtime (imported when quantising,
not by ``import levitpose_lite``).
"""
import json
import os
import platform
import tempfile
from dataclasses import asdict, dataclass
from typing import Dict, Iterable, List, Optional, Sequence, Set

import cv2
import numpy as np

from .postprocess import get_heatmap_maximum

__all__ = [
    'VNNI_FLAGS', 'IMAGE_EXTENSIONS', 'QUANT_FORMATS', 'QUANT_SCOPES',
    'CALIBRATE_METHODS', 'nodes_in_scope', 'Int8Settings', 'cpu_flags',
    'int8_settings', 'load_calibration_boxes', 'calibration_crops',
    'quantize_model', 'argmax_agreement'
]

#: ``/proc/cpuinfo`` flags of the x86 8-bit dot-product instructions.
VNNI_FLAGS = ('avx512_vnni', 'avx_vnni', 'amx_int8')
IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp')
QUANT_FORMATS = ('QDQ', 'QOperator')
#: Calibration methods: name -> ONNX Runtime's ``CalibrationMethod`` member.
CALIBRATE_METHODS = {
    'minmax': 'MinMax',
    'entropy': 'Entropy',
    'percentile': 'Percentile'
}
#: Metadata key of the quantised file (JSON of :class:`Int8Settings`).
PRECISION_KEY = 'precision'

#: Operators quantised to int8: the ones holding the multiply-adds.
#: Normalisations (LayerNorm's rank-1 weights cannot take per-channel
#: scales), softmax and elementwise ops stay fp32.
QUANTIZED_OP_TYPES = ('Conv', 'MatMul', 'Gemm')
#: Which of those are quantised (``quantize_model(scope=...)``):
#: ``dense-conv``: convolutions with one group, where int8 kernels beat fp32
#: on LEViTPose (the depthwise and grouped ones, and the attention's small
#: matrix products, cost more in quantise/dequantise pairs than int8 saves;
#: measured in ``docs/deployment.md``); ``conv-matmul``: every Conv, MatMul
#: and Gemm.
QUANT_SCOPES = ('dense-conv', 'conv-matmul')


@dataclass
class Int8Settings:
    """What :func:`quantize_model` does, and why.

    Args:
        quant_format (str): ``'QDQ'`` or ``'QOperator'``.
        activation_type (str): ``'uint8'`` or ``'int8'``.
        weight_type (str): ``'int8'``.
        per_channel (bool): One scale per output channel of each weight.
        reduce_range (bool): 7-bit weights.
        reason (str): The CPU facts the choice rests on.
    """
    quant_format: str
    activation_type: str
    weight_type: str
    per_channel: bool
    reduce_range: bool
    reason: str

    def describe(self) -> str:
        """One line for the user."""
        return (f'{self.quant_format}, {self.activation_type} activations, '
                f'{self.weight_type} weights '
                f'{"per channel" if self.per_channel else "per tensor"}, '
                f'reduce_range={self.reduce_range} ({self.reason})')


def cpu_flags() -> Set[str]:
    """The CPU feature flags of ``/proc/cpuinfo`` (empty where unknown)."""
    try:
        with open('/proc/cpuinfo', encoding='utf-8') as f:
            for line in f:
                if line.startswith(('flags', 'Features')):
                    return set(line.split(':', 1)[1].split())
    except OSError:
        pass
    return set()


def int8_settings(flags: Optional[Iterable[str]] = None,
                  machine: Optional[str] = None,
                  quant_format: str = 'QDQ',
                  reduce_range: Optional[bool] = None,
                  per_channel: bool = True) -> Int8Settings:
    """Quantisation settings for a CPU, per ONNX Runtime's guidance.

    Args:
        flags (Iterable[str], optional): CPU flags. Defaults to None
            (:func:`cpu_flags` of this machine).
        machine (str, optional): ``platform.machine()``. Defaults to None
            (this machine's).
        quant_format (str): One of :data:`QUANT_FORMATS`. Defaults to
            ``'QDQ'``, which ONNX Runtime's CPU kernels are optimised for
            and OpenVINO reads as int8.
        reduce_range (bool, optional): Force 7-bit weights on or off.
            Defaults to None (on for x86-64 without VNNI).
        per_channel (bool): Per-channel weight scales. Defaults to True.

    Returns:
        Int8Settings: The settings with the reason for them.
    """
    if quant_format not in QUANT_FORMATS:
        raise ValueError(f'quant_format must be one of {list(QUANT_FORMATS)}'
                         f', got {quant_format!r}')
    flags = set(cpu_flags() if flags is None else flags)
    machine = (machine or platform.machine()).lower()
    arm = machine.startswith(('arm', 'aarch64'))
    vnni = sorted(flags.intersection(VNNI_FLAGS))
    if arm:
        reason = f'{machine}: symmetric int8 activations suit ARM kernels'
        auto_reduce = False
    elif vnni:
        reason = (f'CPU has {"/".join(vnni)}: 8-bit products accumulate '
                  'without saturation, full 8-bit weights')
        auto_reduce = False
    else:
        reason = ('CPU has no VNNI: its 8-bit multiply-add can saturate, '
                  '7-bit weights')
        auto_reduce = True
    if reduce_range is not None and reduce_range != auto_reduce:
        reason += f'; reduce_range={reduce_range} forced by the user'
    return Int8Settings(
        quant_format=quant_format,
        activation_type='int8' if arm else 'uint8',
        weight_type='int8',
        per_channel=per_channel,
        reduce_range=auto_reduce if reduce_range is None else reduce_range,
        reason=reason)


def load_calibration_boxes(path: str,
                           score_thr: float = 0.3) -> Dict[str, np.ndarray]:
    """Person boxes ``(x1, y1, x2, y2)`` per image file name.

    Args:
        path (str): A COCO keypoint annotation file (boxes of the annotated
            persons, crowd regions left out) or a COCO detection result
            list (``[{'image_id', 'bbox', 'score'}]``, as MMPose's
            ``bbox_file``), whose image ids are matched to file names by
            the COCO naming (``000000000785.jpg`` is image 785).
        score_thr (float): Lowest detection score kept. Defaults to 0.3.

    Returns:
        dict: File name (COCO annotations) or image id as a string
        (detections) -> boxes (N, 4) float32.
    """
    with open(path, encoding='utf-8') as f:
        data = json.load(f)
    if not (isinstance(data, dict) and 'annotations' in data
            or isinstance(data, list)):
        raise ValueError(f'{path!r} is neither COCO annotations (a dict '
                         'with "annotations") nor a detection list')
    try:
        boxes = _boxes_by_image(data, score_thr)
    except (KeyError, TypeError, ValueError, AttributeError) as err:
        raise ValueError(f'{path!r} has an entry without a valid image_id, '
                         f'bbox [x, y, w, h] or score ({type(err).__name__}:'
                         f' {err})') from err
    return boxes


def _boxes_by_image(data, score_thr: float) -> Dict[str, np.ndarray]:
    """:func:`load_calibration_boxes` on the parsed JSON ``data``."""
    boxes: Dict[str, List[List[float]]] = {}
    if isinstance(data, dict):
        names = {im['id']: im['file_name'] for im in data.get('images', [])}
        for ann in data['annotations']:
            if ann.get('iscrowd', 0) or ann['image_id'] not in names:
                continue
            boxes.setdefault(names[ann['image_id']], []).append(ann['bbox'])
    else:
        for det in data:
            if float(det.get('score', 1.)) >= score_thr:
                boxes.setdefault(str(det['image_id']), []).append(det['bbox'])
    result = {}
    for key, xywh in boxes.items():
        b = np.asarray(xywh, dtype=np.float32)
        if b.ndim != 2 or b.shape[1] != 4:
            raise ValueError(f'boxes of image {key} are not [x, y, w, h]')
        b[:, 2:] += b[:, :2]
        result[key] = b[(b[:, 2] > b[:, 0]) & (b[:, 3] > b[:, 1])]
    return result


def _boxes_for(name: str, boxes: Dict[str, np.ndarray]) -> np.ndarray:
    if name in boxes:
        return boxes[name]
    stem = os.path.splitext(name)[0]
    if stem.isdigit() and str(int(stem)) in boxes:
        return boxes[str(int(stem))]
    return np.zeros((0, 4), np.float32)


def calibration_crops(pose,
                      image_dir: str,
                      boxes: Optional[Dict[str, np.ndarray]] = None,
                      max_crops: int = 256) -> List[np.ndarray]:
    """Model inputs ``(1, 3, h, w)`` of the persons in ``image_dir``.

    Args:
        pose (TopDownPoseONNX): The runtime whose preprocessing to use.
        image_dir (str): A folder of images (:data:`IMAGE_EXTENSIONS`).
        boxes (dict, optional): From :func:`load_calibration_boxes`; an
            image without boxes is skipped. Defaults to None (each whole
            image is one box, as MMPose does without boxes).
        max_crops (int): Stop after this many crops. Defaults to 256.

    Returns:
        list[np.ndarray]: The crops, in file-name order.

    Raises:
        ValueError: No image in ``image_dir`` or no crop made.
    """
    names = sorted(
        n for n in os.listdir(image_dir)
        if n.lower().endswith(IMAGE_EXTENSIONS))
    if not names:
        raise ValueError(f'no image ({", ".join(IMAGE_EXTENSIONS)}) in '
                         f'{image_dir!r}')
    crops: List[np.ndarray] = []
    for name in names:
        image = cv2.imread(os.path.join(image_dir, name))
        if image is None:
            raise ValueError(f'cannot read image {name!r} in {image_dir!r}')
        h, w = image.shape[:2]
        image_boxes = (
            np.array([[0, 0, w, h]], np.float32)
            if boxes is None else _boxes_for(name, boxes))
        if len(image_boxes):
            batch = pose.preprocess(image, image_boxes)[0]
            crops.extend(batch[i:i + 1] for i in range(len(batch)))
        if len(crops) >= max_crops:
            break
    if not crops:
        raise ValueError(f'no person box matches an image in {image_dir!r}')
    return crops[:max_crops]


class _CropReader:
    """ONNX Runtime calibration data reader over a list of crops."""

    def __init__(self, input_name: str, crops: Sequence[np.ndarray]) -> None:
        self._feeds = iter([{input_name: c} for c in crops])

    def get_next(self) -> Optional[dict]:
        return next(self._feeds, None)


def nodes_in_scope(model, scope: str) -> List[str]:
    """Names of the nodes of an ONNX ``model`` that ``scope`` quantises.

    Args:
        model (onnx.ModelProto): The (prepared) fp32 model.
        scope (str): One of :data:`QUANT_SCOPES`.

    Returns:
        list[str]: Node names, in graph order.
    """
    if scope not in QUANT_SCOPES:
        raise ValueError(f'scope must be one of {list(QUANT_SCOPES)}, got '
                         f'{scope!r}')
    names = []
    for node in model.graph.node:
        if node.op_type not in QUANTIZED_OP_TYPES:
            continue
        groups = next((a.i for a in node.attribute if a.name == 'group'), 1)
        if scope == 'conv-matmul' or (node.op_type == 'Conv' and groups == 1):
            names.append(node.name)
    return names


def quantize_model(model_path: str,
                   output_path: str,
                   crops: Sequence[np.ndarray],
                   settings: Int8Settings,
                   calibrate_method: str = 'minmax',
                   scope: str = 'dense-conv') -> None:
    """Quantise ``model_path`` to ``output_path`` with static int8.

    The model is first prepared with ONNX Runtime's ``quant_pre_process``
    (shape inference, graph optimisation). The output keeps the input's
    metadata (mean, std, channel order) and adds ``precision``: the
    settings as JSON.

    Args:
        model_path (str): The fp32 ``.onnx`` file.
        output_path (str): Where to write the int8 file.
        crops (Sequence[np.ndarray]): Calibration inputs, from
            :func:`calibration_crops`.
        settings (Int8Settings): From :func:`int8_settings`.
        calibrate_method (str): One of :data:`CALIBRATE_METHODS`.
            Defaults to ``'minmax'``.
        scope (str): Which nodes become int8, one of
            :data:`QUANT_SCOPES`. Defaults to ``'dense-conv'``.
    """
    import onnx
    from onnxruntime.quantization import (CalibrationMethod, QuantFormat,
                                          QuantType, quantize_static)
    from onnxruntime.quantization.shape_inference import quant_pre_process
    if calibrate_method not in CALIBRATE_METHODS:
        raise ValueError(f'calibrate_method must be one of '
                         f'{list(CALIBRATE_METHODS)}, got '
                         f'{calibrate_method!r}')
    if not crops:
        raise ValueError('no calibration crops')
    if scope not in QUANT_SCOPES:
        raise ValueError(f'scope must be one of {list(QUANT_SCOPES)}, got '
                         f'{scope!r}')
    source = onnx.load(model_path)
    input_name = source.graph.input[0].name
    types = {'uint8': QuantType.QUInt8, 'int8': QuantType.QInt8}
    with tempfile.TemporaryDirectory() as tmp:
        prepared = os.path.join(tmp, 'prepared.onnx')
        quant_pre_process(model_path, prepared)
        nodes = nodes_in_scope(onnx.load(prepared), scope)
        if not nodes:
            raise ValueError(f'{model_path!r} has no node that scope '
                             f'{scope!r} quantises')
        quantize_static(
            prepared,
            output_path,
            _CropReader(input_name, crops),
            quant_format=getattr(QuantFormat, settings.quant_format),
            per_channel=settings.per_channel,
            reduce_range=settings.reduce_range,
            op_types_to_quantize=list(QUANTIZED_OP_TYPES),
            nodes_to_quantize=nodes,
            activation_type=types[settings.activation_type],
            weight_type=types[settings.weight_type],
            calibrate_method=getattr(CalibrationMethod,
                                     CALIBRATE_METHODS[calibrate_method]))
    model = onnx.load(output_path)
    metadata = {p.key: p.value for p in source.metadata_props}
    metadata[PRECISION_KEY] = json.dumps(
        dict(
            asdict(settings),
            precision='int8',
            calibrate_method=calibrate_method,
            scope=scope,
            quantized_nodes=len(nodes),
            calibration_crops=len(crops)))
    del model.metadata_props[:]
    for key, value in metadata.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.save(model, output_path)


def argmax_agreement(reference: np.ndarray,
                     other: np.ndarray,
                     tolerance: int = 1) -> float:
    """Share of keypoints whose heatmap maxima lie within ``tolerance``
    heatmap pixels (Chebyshev distance) in ``reference`` and ``other``.

    Args:
        reference (np.ndarray): Heatmaps (N, K, H, W), e.g. fp32.
        other (np.ndarray): Heatmaps of the same shape, e.g. int8.
        tolerance (int): Allowed distance in heatmap pixels. Defaults
            to 1.

    Returns:
        float: A share in [0, 1].
    """
    if reference.shape != other.shape:
        raise ValueError(f'heatmap shapes differ: {reference.shape} vs '
                         f'{other.shape}')
    a, _ = get_heatmap_maximum(np.asarray(reference, np.float32))
    b, _ = get_heatmap_maximum(np.asarray(other, np.float32))
    return float(np.mean(np.abs(a - b).max(axis=-1) <= tolerance))
