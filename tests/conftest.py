"""Shared pytest fixtures: paths to the repository and the shared real data,
the repository's scripts imported as modules, the real COCO samples, and
ONNX models exported once per test run (for every pytest-xdist worker):
LEViTPose-T with fixed random weights (no download) and the shipped
checkpoint, for the lite runtime and the tools that run it."""
import contextlib
import importlib.util
import io
import json
import os
import shutil
from pathlib import Path
from subprocess import CompletedProcess
from types import ModuleType
from typing import Callable, Dict, Tuple

import numpy as np
import pytest
from filelock import FileLock
from mmengine.registry import DefaultScope

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = (REPO_ROOT / '..' / 'shared' / 'data').resolve()
COCO_DIR = Path('mmpose/tests/data/coco')
LEVITPOSE_T_COCO = ('configs/body_2d_keypoint/topdown_heatmap/coco/'
                    'td-hm_levitpose-t_8xb64-210e_coco-256x256.py')


def pytest_configure(config):
    """On a pytest-xdist worker, torch and the tools it starts use one
    thread: the workers already share the cores between them."""
    if os.environ.get('PYTEST_XDIST_WORKER'):
        import torch
        torch.set_num_threads(1)
        os.environ['OMP_NUM_THREADS'] = '1'


@pytest.fixture(scope='session')
def repo_root() -> Path:
    """The repository root."""
    return REPO_ROOT


@pytest.fixture(scope='session')
def shared_data() -> Path:
    """``../shared/data``: real COCO/MPII/CrowdPose samples (tests only)."""
    if not SHARED_DATA.is_dir():
        pytest.fail(f'shared test data not found at {SHARED_DATA}')
    return SHARED_DATA


@pytest.fixture(scope='session')
def load_tool() -> Callable[[str], ModuleType]:
    """``load_tool('tools/analysis_tools/lite_benchmark.py')``: a script of
    the repository (path from its root) imported as a module, to call its
    functions or ``main(argv)`` in-process; each script is loaded once."""
    loaded: Dict[str, ModuleType] = {}

    def load(path: str) -> ModuleType:
        if path not in loaded:
            file = REPO_ROOT / path
            spec = importlib.util.spec_from_file_location(file.stem, file)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            loaded[path] = module
        return loaded[path]

    return load


@pytest.fixture
def run_main(load_tool, capsys,
             monkeypatch) -> Callable[..., CompletedProcess]:
    """``run_main('tools/x.py', *argv)``: the tool's ``main(argv)`` run in
    this process from the repository root, as a
    :class:`subprocess.CompletedProcess` (its exit status, stdout and
    stderr). For the tests of bad command lines and files: the tool's
    imports are this process's already, so no interpreter starts."""

    def run(path: str, *argv) -> CompletedProcess:
        argv = [str(a) for a in argv]
        monkeypatch.chdir(REPO_ROOT)
        try:
            code = load_tool(path).main(argv)
        except SystemExit as exit_:  # argparse
            code = exit_.code
        out, err = capsys.readouterr()
        return CompletedProcess([path, *argv], code, out, err)

    return run


@pytest.fixture(scope='session')
def coco_samples(shared_data):
    """``[(image_path, boxes_xyxy (N, 4), keypoints (N, 17, 3))]`` of the
    real COCO val2017 persons in ``test_coco.json`` (those with keypoints).
    """
    root = shared_data / COCO_DIR
    data = json.loads((root / 'test_coco.json').read_text())
    samples = []
    for image in data['images']:
        anns = [
            a for a in data['annotations']
            if a['image_id'] == image['id'] and a['num_keypoints'] > 0
        ]
        boxes = np.array([a['bbox'] for a in anns], dtype=np.float32)
        boxes[:, 2:] += boxes[:, :2]  # xywh -> xyxy
        keypoints = np.array([a['keypoints'] for a in anns],
                             dtype=np.float32).reshape(len(anns), 17, 3)
        samples.append((root / image['file_name'], boxes, keypoints))
    return samples


def randomize_norm_stats(model, seed: int = 0):
    """Give every BatchNorm non-trivial statistics and affine parameters,
    so fusion or export bugs change the outputs; returns ``model``."""
    import torch
    from torch.nn.modules.batchnorm import _BatchNorm
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, _BatchNorm):
                n = module.num_features
                module.running_mean.copy_(
                    torch.randn(n, generator=generator) * 0.1)
                module.running_var.copy_(
                    torch.rand(n, generator=generator) + 0.5)
                if module.affine:
                    module.weight.copy_(
                        torch.rand(n, generator=generator) + 0.5)
                    module.bias.copy_(
                        torch.randn(n, generator=generator) * 0.1)
    return model


@pytest.fixture(scope='session')
def randomize_norms():
    """The :func:`randomize_norm_stats` helper."""
    return randomize_norm_stats


@pytest.fixture(scope='session')
def build_once(tmp_path_factory) -> Callable[[str, Callable], Path]:
    """``build_once(name, build)``: the folder ``<run tmp>/built/<name>``
    after ``build(folder)`` filled it, once per test run for all the
    pytest-xdist workers (pytest-xdist's pattern for a session fixture
    shared between workers): the first worker to ask builds it under a file
    lock, the others wait, then read it. Tests must not change what is in
    it."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get('PYTEST_XDIST_WORKER'):
        root = root.parent  # the run's folder, holding one per worker

    def get(name: str, build: Callable[[Path], None]) -> Path:
        folder, done = root / 'built' / name, root / 'built' / f'{name}.done'
        with FileLock(str(root / f'{name}.lock')):
            if not done.is_file():  # not built, or a build that failed
                shutil.rmtree(folder, ignore_errors=True)
                folder.mkdir(parents=True)
                build(folder)
                done.touch()
        return folder

    return get


@pytest.fixture(scope='session')
def levitpose_t_coco(repo_root, build_once):
    """``(config, checkpoint, onnx_path)``: LEViTPose-T (COCO, 256x256)
    with seeded random weights saved as a checkpoint and exported to ONNX
    with ``levitpose.deploy`` (the same path as ``pytorch2onnx.py``)."""
    config = str(repo_root / LEVITPOSE_T_COCO)

    def build(work: Path) -> None:
        import torch
        from mmengine.config import Config
        from mmpose.apis import init_model

        import levitpose  # noqa: F401
        from levitpose.deploy import (default_input_shape, export_onnx,
                                      load_deploy_model, preprocessor_metadata)
        torch.manual_seed(0)
        model = init_model(config, None, device='cpu')
        randomize_norm_stats(model)
        checkpoint = str(work / 'levitpose-t_random.pth')
        torch.save({'state_dict': model.state_dict()}, checkpoint)
        cfg = Config.fromfile(config)
        export_onnx(
            load_deploy_model(config, checkpoint),
            str(work / 'levitpose-t.onnx'),
            default_input_shape(cfg),
            metadata=preprocessor_metadata(cfg))

    work = build_once('levitpose_t_coco', build)
    return (config, str(work / 'levitpose-t_random.pth'),
            str(work / 'levitpose-t.onnx'))


@pytest.fixture(scope='session')
def pytorch2onnx_once(build_once, load_tool) -> Callable:
    """``pytorch2onnx_once(name, config, checkpoint)``: ``(onnx_path,
    printed)``, the file ``tools/deployment/pytorch2onnx.py`` writes with
    its default options (the codec's input size, dynamic batch, the default
    opset and exporter, the preprocessor in the metadata) and what it
    printed (the parity check), run once per test run under ``name``."""
    tool = load_tool('tools/deployment/pytorch2onnx.py')

    def export(name: str, config, checkpoint) -> Tuple[str, str]:

        def build(work: Path) -> None:
            printed = io.StringIO()
            with contextlib.redirect_stdout(printed):
                rc = tool.main([
                    str(config),
                    str(checkpoint), '--output-file',
                    str(work / 'model.onnx')
                ])
            (work / 'printed.txt').write_text(printed.getvalue())
            assert rc == 0, f'pytorch2onnx.py exited {rc} on {checkpoint}'

        work = build_once(name, build)
        return str(work / 'model.onnx'), (work / 'printed.txt').read_text()

    return export


@pytest.fixture(scope='session')
def shipped_onnx_of(pytorch2onnx_once) -> Callable[[Path, Path], str]:
    """``shipped_onnx_of(config, checkpoint)``: the fp32 ONNX file of a
    shipped checkpoint (:func:`pytorch2onnx_once`)."""

    def export(config: Path, checkpoint: Path) -> str:
        name = f'shipped_{Path(checkpoint).stem}'
        return pytorch2onnx_once(name, config, checkpoint)[0]

    return export


@pytest.fixture(autouse=True)
def _mmpose_default_scope():
    """Run every test in MMPose's default registry scope, and undo any change.

    mmengine's default scope is process-wide: MMDetection's ``init_detector``
    (the demo and the detector tests) switches it to ``mmdet`` and leaves it
    there, after which building an MMPose module by name (a backbone, the
    heads' losses) fails in whichever test happens to run next.
    ``overwrite_default_scope`` restores the previous scopes on exit.
    """
    with DefaultScope.overwrite_default_scope('mmpose'):
        yield
