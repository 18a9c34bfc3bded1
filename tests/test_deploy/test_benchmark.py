"""The speed benchmark: model selection, published accuracy, round-robin
timing, the table's arithmetic and the CLI's outputs and errors."""
import csv
from types import SimpleNamespace

import pytest

from levitpose.cli.shared_args import TORCH_BACKENDS
from levitpose.deploy import benchmark as bench
from levitpose.deploy.benchmark import timing
from levitpose.utils import UsageError, resolve_config

MBV2 = ('mmpose::body_2d_keypoint/topdown_heatmap/mpii/'
        'td-hm_mobilenetv2_8xb64-210e_mpii-256x256.py')


@pytest.fixture(scope='module')
def tool(load_tool):
    return load_tool('tools/analysis_tools/benchmark.py')


def test_the_tools_offer_the_backends_the_benchmark_builds():
    assert TORCH_BACKENDS == bench.BACKENDS


def test_every_benchmark_config_exists(repo_root):
    for model in bench.BENCHMARK_MODELS:
        for config in (model.config, *model.published):
            bench.config_path(config, str(repo_root))  # raises if missing


def test_rtmpose_is_built_from_mmpose_configs():
    configs = {m.name: m.config for m in bench.BENCHMARK_MODELS}
    assert configs['RTMPose-t'] == ('mmpose::body_2d_keypoint/rtmpose/coco/'
                                    'rtmpose-t_8xb256-420e_coco-256x192.py')
    assert configs['RTMPose-s'].startswith('mmpose::') and \
        'rtmpose-s_' in configs['RTMPose-s']


def test_levitpose_accuracy_comes_from_the_project_metafiles(repo_root):
    model, = bench.select_models(['LEViTPose-T'])
    accuracy = bench.published_accuracy(model, str(repo_root))
    assert accuracy == {
        'MPII PCKh': (pytest.approx(85.9), bench.PAPER_SOURCE),
        'COCO AP': (pytest.approx(68.2), bench.PAPER_SOURCE)
    }


def test_rtmpose_accuracy_comes_from_mmpose_metafile(repo_root):
    model, = bench.select_models(['RTMPose-t'])
    value, source = bench.published_accuracy(model, str(repo_root))['COCO AP']
    assert 60 < value < 75 and source.startswith('mmpose coco/')


def test_onnxruntime_backend_uses_the_exporter_and_lite_session(
        monkeypatch, repo_root, tmp_path):
    """The timed ONNX file is the exporter's, run in lite's session."""
    import levitpose_lite.backends
    calls = {}

    class Session:

        def get_inputs(self):
            return [SimpleNamespace(name='input')]

        def run(self, names, feeds):
            calls['run'] = feeds['input'].shape

    def export(model, path, shape, **kwargs):
        calls['export'] = (path, shape, kwargs)

    def ort_session(path, **kwargs):
        calls['session'] = (path, kwargs)
        return Session()

    monkeypatch.setattr(timing, 'export_onnx', export)
    monkeypatch.setattr(levitpose_lite.backends, 'ort_session', ort_session)
    runners = bench.build_runners(
        bench.select_models(['LEViTPose-T']), ['onnxruntime'],
        str(repo_root),
        threads=3,
        work_dir=str(tmp_path))
    assert [(r.model, r.backend)
            for r in runners] == [('LEViTPose-T', 'onnxruntime')]
    path, shape, kwargs = calls['export']
    assert shape == (1, 3, 256, 256) and kwargs == dict(heatmaps=False)
    assert calls['session'] == (path, dict(num_threads=3, spinning=False))
    assert calls['run'] == (1, 3, 256, 256)


def test_select_models_is_case_insensitive_and_ordered():
    names = [
        m.name for m in bench.select_models(['mobilenetv2', 'LEViTPose-T'])
    ]
    assert names == ['LEViTPose-T', 'MobileNetV2']


def test_unknown_model_names_list_the_allowed_ones():
    with pytest.raises(UsageError, match=r"\['ResNet-50'\].*LEViTPose-T"):
        bench.select_models(['ResNet-50', 'LEViTPose-T'])


def test_zoo_accuracy_reads_mmpose_metafile():
    accuracy = bench.zoo_accuracy(resolve_config(MBV2))
    value, source = accuracy['MPII PCKh']
    assert value == pytest.approx(85.4)
    assert source == 'mmpose mpii/mobilenetv2_mpii.yml'


def _runner(name, backend, log):
    return bench.Runner(
        name, backend, lambda: log.append((name, backend)), (256, 256),
        dict(params=1, flops=1, uncounted=[], accuracy={}, config=''))


def test_round_robin_interleaves_models_and_skips_warmup():
    log = []
    runners = [_runner('A', 'eager', log), _runner('B', 'eager', log)]
    times = bench.time_round_robin(runners, rounds=3, warmup=2)
    assert log == [('A', 'eager'), ('B', 'eager')] * 5
    assert [len(v) for v in times.values()] == [3, 3]


def test_summary_uses_median_and_levitpose_t_as_reference():
    runners = [
        _runner('LEViTPose-T', 'eager', []),
        _runner('MobileNetV2', 'eager', [])
    ]
    times = {
        ('LEViTPose-T', 'eager'): [0.010, 0.011, 0.012, 0.5],
        ('MobileNetV2', 'eager'): [0.030, 0.033, 0.033, 0.036],
    }
    rows = bench.summarize(runners, times)
    assert rows[0]['latency_ms'] == pytest.approx(11.5)
    assert rows[1]['latency_ms'] == pytest.approx(33.0)
    # the median of the per-round ratios 3.0, 3.0, 2.75, 0.072
    assert rows[1]['speed_vs_ref'] == pytest.approx((3.0 + 2.75) / 2)
    assert rows[0]['speed_vs_ref'] == pytest.approx(1.0)
    assert rows[0]['fps'] == pytest.approx(1000 / 11.5)
    # counted FLOPs (1 here) per second of median latency, in G
    assert rows[0]['gmacs'] == pytest.approx(1e-9 / 11.5e-3)


def test_cli_rejects_unknown_models_in_one_line(tool, tmp_path, capsys):
    rc = tool.main(['--models', 'ResNet-50', '--out-dir', str(tmp_path)])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and '\n' not in err
    assert "unknown model(s) ['ResNet-50']" in err and 'RTMPose-s' in err


def test_cli_rejects_unknown_backend(tool, tmp_path, capsys):
    with pytest.raises(SystemExit) as info:
        tool.main(['--backend', 'tensorrt', '--out-dir', str(tmp_path)])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.count('\n') == 1 and "invalid choice: 'tensorrt'" in err


def test_cli_requires_20_rounds(tool, tmp_path, capsys):
    rc = tool.main(['--rounds', '5', '--out-dir', str(tmp_path)])
    assert rc == 2 and '>= 20' in capsys.readouterr().err


@pytest.mark.parametrize('backends', [['compile', 'jit'],
                                      ['eager', 'compile', 'onnxruntime']])
def test_cli_runs_compile_alone(tool, tmp_path, capsys, backends):
    rc = tool.main(['--backend', *backends, '--out-dir', str(tmp_path)])
    err = capsys.readouterr().err
    assert rc == 2 and err.count('\n') == 1
    assert 'error: --backend compile runs alone' in err


def test_cli_keep_memory_is_the_default(tool):
    assert tool.parse_args([]).keep_memory is True
    assert tool.parse_args(['--no-keep-memory']).keep_memory is False


def test_cli_pack_weights_is_the_default(tool):
    assert tool.parse_args([]).pack_weights is True
    assert tool.parse_args(['--no-pack-weights']).pack_weights is False


@pytest.mark.parametrize('flag, packed', [([], True),
                                          (['--no-pack-weights'], False)])
def test_cli_passes_pack_weights_to_the_runners(tool, tmp_path, monkeypatch,
                                                capsys, flag, packed):
    seen = {}

    def build_runners(*args, **kwargs):
        seen.update(kwargs)
        return []  # then: no model could be built

    monkeypatch.setattr(bench, 'build_runners', build_runners)
    rc = tool.main(['--backend', 'jit', '--out-dir', str(tmp_path), *flag])
    assert rc == 1 and 'no model could be built' in capsys.readouterr().err
    assert seen['pack_weights'] is packed


@pytest.mark.slow
def test_cli_writes_markdown_csv_and_plot(tool, tmp_path, capsys):
    rc = tool.main([
        '--models', 'LEViTPose-T', 'MobileNetV2', '--backend', 'eager',
        'onnxruntime', '--rounds', '2', '--warmup', '0', '--allow-few-rounds',
        '--out-dir',
        str(tmp_path)
    ])
    assert rc == 0
    table = (tmp_path / 'benchmark.md').read_text()
    assert '| LEViTPose-T | onnxruntime | 256x256 |' in table
    assert '| 85.9 |' in table and 'LEViTPose paper' in table
    assert 'mobilenetv2_mpii.yml' in table
    assert 'glibc malloc thresholds fixed (freed memory kept)' in table
    with open(tmp_path / 'benchmark.csv') as f:
        rows = list(csv.DictReader(f))
    assert [(r['model'], r['backend'])
            for r in rows] == [('LEViTPose-T', 'eager'),
                               ('LEViTPose-T', 'onnxruntime'),
                               ('MobileNetV2', 'eager'),
                               ('MobileNetV2', 'onnxruntime')]
    assert all(float(r['latency_ms']) > 0 for r in rows)
    assert (tmp_path / 'benchmark.png').read_bytes()[:4] == b'\x89PNG'


@pytest.mark.slow
def test_cli_input_size_resizes_every_model(tool, tmp_path):
    rc = tool.main([
        '--models', 'LEViTPose-T', 'RTMPose-t', '--input-size', '256', '256',
        '--rounds', '1', '--warmup', '0', '--allow-few-rounds', '--out-dir',
        str(tmp_path)
    ])
    assert rc == 0
    with open(tmp_path / 'benchmark.csv') as f:
        rows = list(csv.DictReader(f))
    assert [(r['model'], r['input'])
            for r in rows] == [('LEViTPose-T', '256x256'),
                               ('RTMPose-t', '256x256')]
    # published accuracy holds for the published input size only
    assert [r['coco_ap'] for r in rows] == ['68.2', '']
