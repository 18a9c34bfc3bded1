"""Inference backends of ``levitpose_lite``: ONNX Runtime and OpenVINO.

One factory, :func:`create_session`, opens an ONNX file (fp32 or int8) with
either runtime and returns an object with the same small interface:
``input_name``, ``input_shape``, ``output_shapes``, ``metadata`` and
``run(batch)``. Both runtimes expose the ONNX file's ``metadata_props``
(ONNX Runtime as the model meta's custom map, OpenVINO under the model's
``rt_info['framework']``), so :attr:`metadata` is the same dict either way.

Each runtime is imported only in the branch that uses it (rtmlib style);
OpenVINO is optional. :func:`ort_session` is the ONNX Runtime session that
everything in this repository times or runs, benchmarks included.
"""
import os
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from .errors import first_line

__all__ = [
    'BACKENDS', 'DEVICES', 'OPENVINO_DEVICES', 'PRECISIONS', 'ort_session',
    'OnnxRuntimeSession', 'OpenVINOSession', 'create_session'
]

#: Backends accepted by :func:`create_session`.
BACKENDS = ('onnxruntime', 'openvino')
#: ONNX Runtime: device -> the execution provider it needs.
DEVICES = {
    'cpu': 'CPUExecutionProvider',
    'cuda': 'CUDAExecutionProvider',
}
#: OpenVINO: device -> OpenVINO device name (only the CPU plugin is tested).
OPENVINO_DEVICES = {'cpu': 'CPU'}
#: Inference precisions of float layers -> OpenVINO's precision hint.
#: ``bf16`` runs on OpenVINO only, on a CPU with bfloat16 instructions
#: (AVX512-BF16 or AMX); ONNX Runtime runs fp32 files in fp32.
PRECISIONS = {'fp32': 'f32', 'bf16': 'bf16'}

Shape = Tuple[Optional[int], ...]


def _check_threads(num_threads: Optional[int]) -> None:
    if num_threads is not None and (not isinstance(num_threads, int)
                                    or num_threads < 1):
        raise ValueError('num_threads must be a positive int or None, got '
                         f'{num_threads!r}')


def _check_precision(precision: str, backend: str) -> None:
    allowed = list(PRECISIONS) if backend == 'openvino' else ['fp32']
    if precision not in allowed:
        raise ValueError(f'precision must be one of {allowed} for backend '
                         f'"{backend}", got {precision!r}')


def _check_file(model_path: str) -> None:
    if not os.path.isfile(model_path):
        raise FileNotFoundError(f'ONNX model not found: {model_path!r}')


def _import_onnxruntime():
    try:
        import onnxruntime
    except ImportError as err:
        raise ImportError(
            'levitpose_lite needs ONNX Runtime: pip install onnxruntime '
            '(or onnxruntime-gpu for device="cuda")') from err
    return onnxruntime


def _import_openvino():
    try:
        import openvino
    except ImportError as err:
        raise ImportError('backend="openvino" needs OpenVINO, which is not '
                          'installed: pip install openvino') from err
    return openvino


def ort_session(model_path: str,
                device: str = 'cpu',
                num_threads: Optional[int] = None,
                spinning: bool = True):
    """An ONNX Runtime session, built the one way this repository builds it.

    Sequential execution, all graph optimisations, one inter-op thread.

    Args:
        model_path (str): The ``.onnx`` file.
        device (str): A key of :data:`DEVICES`. Defaults to ``'cpu'``.
        num_threads (int, optional): Intra-op threads. Defaults to None
            (ONNX Runtime's choice: one per physical core).
        spinning (bool): Let idle worker threads spin. Turn it off when
            other runtimes are timed in the same process: spinning threads
            keep cores busy between runs and slow the others down.
            Defaults to True (ONNX Runtime's default).

    Returns:
        onnxruntime.InferenceSession: The session.

    Raises:
        ImportError: ONNX Runtime is not installed.
        FileNotFoundError: ``model_path`` does not exist.
        ValueError: Unknown device, missing provider, bad ``num_threads``
            or a file ONNX Runtime cannot load.
    """
    ort = _import_onnxruntime()
    if device not in DEVICES:
        raise ValueError(f'device must be one of {sorted(DEVICES)} for '
                         f'backend "onnxruntime", got {device!r}')
    provider = DEVICES[device]
    if provider not in ort.get_available_providers():
        raise ValueError(
            f'device {device!r} needs ONNX Runtime\'s {provider}, but '
            f'only {ort.get_available_providers()} are available')
    _check_file(model_path)
    _check_threads(num_threads)
    options = ort.SessionOptions()
    if num_threads is not None:
        options.intra_op_num_threads = num_threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = (
        ort.GraphOptimizationLevel.ORT_ENABLE_ALL)
    if not spinning:
        options.add_session_config_entry('session.intra_op.allow_spinning',
                                         '0')
        options.add_session_config_entry('session.inter_op.allow_spinning',
                                         '0')
    state = ort.capi.onnxruntime_pybind11_state
    load_errors = (state.InvalidProtobuf, state.InvalidGraph, state.Fail,
                   state.NoSuchFile, state.NotImplemented,
                   state.InvalidArgument)
    try:
        return ort.InferenceSession(
            model_path, sess_options=options, providers=[provider])
    except load_errors as err:
        raise ValueError(f'cannot load ONNX model {model_path!r}: '
                         f'{err}') from err


class OnnxRuntimeSession:
    """:func:`ort_session` behind the backend interface.

    Args:
        model_path (str): The ``.onnx`` file.
        device (str): A key of :data:`DEVICES`. Defaults to ``'cpu'``.
        num_threads (int, optional): Intra-op threads. Defaults to None.
        spinning (bool): See :func:`ort_session`. Defaults to True.
    """
    backend = 'onnxruntime'

    def __init__(self,
                 model_path: str,
                 device: str = 'cpu',
                 num_threads: Optional[int] = None,
                 spinning: bool = True) -> None:
        self.session = ort_session(model_path, device, num_threads, spinning)
        inputs = self.session.get_inputs()
        self.input_names = [i.name for i in inputs]
        self.input_name = self.input_names[0]
        self.input_shapes = [_static(i.shape) for i in inputs]
        self.input_shape = self.input_shapes[0]
        self.output_shapes = [
            _static(o.shape) for o in self.session.get_outputs()
        ]
        self.metadata: Dict[str, str] = dict(
            self.session.get_modelmeta().custom_metadata_map)

    def run(self, batch: np.ndarray) -> List[np.ndarray]:
        """All outputs for one input batch."""
        return self.session.run(None, {self.input_name: batch})


class OpenVINOSession:
    """An OpenVINO compiled model behind the backend interface.

    OpenVINO reads the ONNX file directly, int8 (QDQ) files included,
    which it runs with integer kernels. The CPU plugin would otherwise
    compute fp32 layers in bfloat16 on CPUs that support it, so the
    inference precision is what ``precision`` says, fp32 by default: an
    fp32 file gives fp32 results unless bf16 is asked for.

    OpenVINO runs a model compiled for one fixed batch size faster than
    one with a dynamic batch axis, so each batch size seen (up to
    :attr:`max_static_batches` of them) gets its own compiled copy,
    compiled on first use; other sizes use the dynamic model.

    Args:
        model_path (str): The ``.onnx`` file.
        device (str): A key of :data:`OPENVINO_DEVICES`. Defaults to
            ``'cpu'``.
        num_threads (int, optional): Inference threads. Defaults to None
            (OpenVINO's choice).
        precision (str): A key of :data:`PRECISIONS`: the precision the
            float layers compute in. ``'bf16'`` needs a CPU with bfloat16
            instructions (OpenVINO's ``BF16`` capability). Defaults to
            ``'fp32'``.

    Raises:
        ValueError: On a bad argument or an unreadable model, or
            ``'bf16'`` on a CPU without bfloat16.
    """
    backend = 'openvino'
    #: Most batch sizes that get a compiled copy of their own.
    max_static_batches = 8

    def __init__(self,
                 model_path: str,
                 device: str = 'cpu',
                 num_threads: Optional[int] = None,
                 precision: str = 'fp32') -> None:
        ov = _import_openvino()
        if device not in OPENVINO_DEVICES:
            raise ValueError(f'device must be one of '
                             f'{sorted(OPENVINO_DEVICES)} for backend '
                             f'"openvino", got {device!r}')
        _check_precision(precision, 'openvino')
        _check_file(model_path)
        _check_threads(num_threads)
        core = ov.Core()
        if precision == 'bf16' and 'BF16' not in core.get_property(
                OPENVINO_DEVICES[device], 'OPTIMIZATION_CAPABILITIES'):
            raise ValueError('precision "bf16" needs a CPU with bfloat16 '
                             'instructions (AVX512-BF16 or AMX); this one '
                             'has none: use "fp32"')
        try:
            model = core.read_model(model_path)
        except RuntimeError as err:  # OpenVINO's error for unreadable files
            raise ValueError(f'cannot load ONNX model {model_path!r}: '
                             f'{first_line(err)}') from err
        config = {
            'PERFORMANCE_HINT': 'LATENCY',
            'INFERENCE_PRECISION_HINT': PRECISIONS[precision]
        }
        if num_threads is not None:
            config['INFERENCE_NUM_THREADS'] = num_threads
        self._core, self._model = core, model
        self._device, self._config = OPENVINO_DEVICES[device], config
        self.compiled = core.compile_model(model, self._device, config)
        self.request = self.compiled.create_infer_request()
        self._static: Dict[int, object] = {}  # batch size -> infer request
        self.input_names = [i.get_any_name() for i in model.inputs]
        self.input_name = self.input_names[0]
        self.input_shapes = [
            _static(_ov_dims(i.get_partial_shape())) for i in model.inputs
        ]
        self.input_shape = self.input_shapes[0]
        self.output_shapes = [
            _static(_ov_dims(o.get_partial_shape())) for o in model.outputs
        ]
        self.metadata = _ov_metadata(model)
        self.precision = precision

    def _request_for(self, batch_size: int):
        """The infer request compiled for ``batch_size``, else the dynamic
        one."""
        request = self._static.get(batch_size)
        shape = [batch_size, *self.input_shape[1:]]
        if (request is None and len(self._static) < self.max_static_batches
                and None not in shape and len(self._model.inputs) == 1):
            model = self._model.clone()
            model.reshape({0: shape})
            request = self._core.compile_model(
                model, self._device, self._config).create_infer_request()
            self._static[batch_size] = request
        return request or self.request

    def run(self, batch: np.ndarray) -> List[np.ndarray]:
        """All outputs for one input batch (copies, safe to keep)."""
        outputs = self._request_for(len(batch)).infer({0: batch})
        return [np.array(v, copy=True) for v in outputs.to_tuple()]


def _static(shape: Sequence) -> Shape:
    """A shape with every non-integer (symbolic) dimension as None."""
    return tuple(d if isinstance(d, int) and d >= 0 else None for d in shape)


def _ov_dims(partial_shape) -> List[Optional[int]]:
    return [d.get_length() if d.is_static else None for d in partial_shape]


def _ov_metadata(model) -> Dict[str, str]:
    """The ONNX ``metadata_props``, which OpenVINO keeps in ``rt_info``."""
    rt_info = model.get_rt_info()
    if 'framework' not in rt_info:
        return {}
    return {
        key: model.get_rt_info(['framework', key]).astype(str)
        for key in rt_info['framework']
    }


def create_session(model_path: str,
                   backend: str = 'onnxruntime',
                   device: str = 'cpu',
                   num_threads: Optional[int] = None,
                   spinning: bool = True,
                   precision: str = 'fp32'):
    """Open ``model_path`` with ``backend``.

    Args:
        model_path (str): The ``.onnx`` file (fp32 or int8).
        backend (str): One of :data:`BACKENDS`. Defaults to
            ``'onnxruntime'``.
        device (str): ``'cpu'``, or ``'cuda'`` with ONNX Runtime. Defaults
            to ``'cpu'``.
        num_threads (int, optional): Inference threads. Defaults to None.
        spinning (bool): ONNX Runtime only, see :func:`ort_session`.
            Defaults to True.
        precision (str): Precision of the float layers, a key of
            :data:`PRECISIONS`; ``'bf16'`` with OpenVINO only. Defaults to
            ``'fp32'``.

    Returns:
        OnnxRuntimeSession | OpenVINOSession: The session.
    """
    if backend == 'onnxruntime':
        _check_precision(precision, backend)
        return OnnxRuntimeSession(model_path, device, num_threads, spinning)
    if backend == 'openvino':
        return OpenVINOSession(model_path, device, num_threads, precision)
    raise ValueError(f'backend must be one of {list(BACKENDS)}, got '
                     f'{backend!r}')
