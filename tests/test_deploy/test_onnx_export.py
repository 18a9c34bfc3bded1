"""ONNX export of a fused LEViTPose-T: parity, opset, dynamic batch."""
import json
from collections import Counter

import onnx
import pytest
import torch

from levitpose.deploy import (DEFAULT_OPSET, check_onnx, default_input_shape,
                              export_onnx)
from levitpose.utils import UsageError

SHAPE = (1, 3, 256, 256)


@pytest.fixture(scope='module')
def exported(levitpose_t_onnx):
    """The model exported with the default options (``pytorch2onnx.py``'s,
    which are :func:`export_onnx`'s with the codec's input size,
    :data:`SHAPE`, and the preprocessor metadata)."""
    return levitpose_t_onnx[0]


def test_fused_model_has_no_batchnorm(fused_levitpose_t):
    assert not any(
        isinstance(m, torch.nn.modules.batchnorm._BatchNorm)
        for m in fused_levitpose_t.modules())


def test_onnxruntime_matches_pytorch_at_batch_1_and_2(exported,
                                                      fused_levitpose_t):
    diffs = check_onnx(exported, fused_levitpose_t, SHAPE, (1, 2))
    assert set(diffs) == {1, 2}
    for diff in diffs.values():
        # a vanishing output would make the comparison trivial
        assert diff['max_abs_output'] > 1e-3
        assert diff['max_abs_diff'] <= 1e-4


def test_graph_has_opset_17_plus_and_dynamic_batch(exported):
    model = onnx.load(exported)
    opset = {o.domain: o.version for o in model.opset_import}['']
    assert opset >= 17
    (inp, ), (out, ) = model.graph.input, model.graph.output
    assert inp.name == 'input' and out.name == 'heatmaps'
    assert inp.type.tensor_type.shape.dim[0].dim_param
    assert [d.dim_value
            for d in inp.type.tensor_type.shape.dim[1:]] == [3, 256, 256]
    assert [d.dim_value
            for d in out.type.tensor_type.shape.dim[1:]] == [16, 64, 64]


@pytest.mark.slow
def test_default_opset_writes_gelu_as_one_op(exported, fused_levitpose_t,
                                             tmp_path):
    """Opset 20's ``Gelu``: one node per GELU instead of four."""
    default = onnx.load(exported)
    assert {
        o.domain: o.version
        for o in default.opset_import
    }[''] == DEFAULT_OPSET == 20
    ops = Counter(n.op_type for n in default.graph.node)
    assert ops['Gelu'] == 24 and 'Erf' not in ops  # one per CGSLRA group
    older = export_onnx(
        fused_levitpose_t, str(tmp_path / 'op18.onnx'), SHAPE, opset=18)
    assert 'Gelu' not in {n.op_type for n in older.graph.node}
    assert len(older.graph.node) - len(default.graph.node) >= 3 * 24


def test_metadata_holds_the_preprocessor(exported):
    meta = {p.key: p.value for p in onnx.load(exported).metadata_props}
    assert json.loads(meta['mean']) == [123.675, 116.28, 103.53]
    assert json.loads(meta['std']) == [58.395, 57.12, 57.375]
    assert json.loads(meta['bgr_to_rgb']) is True


def test_torchscript_exporter_also_matches(fused_levitpose_t, tmp_path):
    path = str(tmp_path / 'ts.onnx')
    export_onnx(fused_levitpose_t, path, SHAPE, exporter='torchscript')
    diffs = check_onnx(path, fused_levitpose_t, SHAPE).values()
    assert max(d['max_abs_diff'] for d in diffs) <= 1e-4


def test_default_input_shape_reads_the_codec(fused_levitpose_t):
    assert default_input_shape(fused_levitpose_t.cfg) == SHAPE


@pytest.mark.parametrize('kwargs, match', [
    (dict(opset=16), 'opset must be an int >= 17'),
    (dict(exporter='tflite'), "exporter must be one of .*'tflite'"),
    (dict(input_shape=(1, 1, 256, 256)), r'\(N, 3, h, w\)'),
])
def test_bad_export_arguments_raise(fused_levitpose_t, tmp_path, kwargs,
                                    match):
    args = dict(input_shape=SHAPE)
    args.update(kwargs)
    with pytest.raises(UsageError, match=match):
        export_onnx(fused_levitpose_t, str(tmp_path / 'x.onnx'), **args)
