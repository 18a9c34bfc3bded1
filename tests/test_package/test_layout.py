"""The package's layers: ``import levitpose`` (what every config's
``custom_imports`` runs) registers modules and imports no command-line,
demo, deployment or analysis code (nor ``mmengine.analysis``, which FLOP
counting loads); ``engine`` holds hooks only; the inference API
does not import the demo application built on it; the lean runtime
``levitpose_lite`` and the torch-free tools built on it import no torch,
no mm* package and no ``levitpose``."""
import ast
import pkgutil
import subprocess
import sys
from pathlib import Path

import levitpose.engine
import levitpose_lite

REPO_ROOT = Path(__file__).resolve().parents[2]

# what `import X` must not pull in, by what X is
NOT_ON_IMPORT = {
    'levitpose': ('levitpose.cli', 'levitpose.demo_app', 'levitpose.deploy',
                  'levitpose.visualization.dataset_browser',
                  'levitpose.analysis', 'mmengine.analysis'),
    'levitpose.apis':
    ('levitpose.cli', 'levitpose.demo_app', 'levitpose.deploy'),
}
#: What the lean runtime and the torch-free tools never import.
TORCH_WORLD = ('torch', 'torchvision', 'mmcv', 'mmengine', 'mmpose', 'mmdet',
               'levitpose')
#: Tools that need only ``levitpose_lite``, NumPy, OpenCV and an inference
#: engine (``video_benchmark.py`` too, except its ``--demo`` and
#: ``--compare-detectors`` modes, which time the PyTorch demo's parts).
TORCH_FREE_TOOLS = ('tools/analysis_tools/lite_benchmark.py',
                    'tools/analysis_tools/track_eval.py',
                    'tools/deployment/quantize_onnx.py',
                    'tools/misc/make_pan_video.py')


def _imported_names(path: Path) -> set:
    """Top-level package of every import in a file, also inside functions.
    """
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(a.name.split('.')[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names.add(node.module.split('.')[0])
    return names


def _modules_after_import(name: str) -> list:
    code = (f'import sys, {name}\n'
            "print('\\n'.join(sorted(sys.modules)))")
    proc = subprocess.run([sys.executable, '-c', code],
                          capture_output=True,
                          text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout.split()


def test_import_levitpose_registers_without_cli_code():
    from mmpose.registry import HOOKS, MODELS
    loaded = _modules_after_import('levitpose')
    unwanted = [
        m for m in loaded for prefix in NOT_ON_IMPORT['levitpose']
        if m == prefix or m.startswith(prefix + '.')
    ]
    assert unwanted == []
    assert 'levitpose.engine.hooks' in loaded
    assert HOOKS.get('CrashSafeCheckpointHook') is not None
    assert any(
        cls.__module__.startswith('levitpose.models.')
        for cls in MODELS.module_dict.values())


def test_flop_counting_loads_mmengine_analysis_on_its_own():
    """The counters live in ``levitpose.analysis``, which the counting tools
    import; importing it is what loads ``mmengine.analysis``."""
    loaded = _modules_after_import('levitpose.analysis')
    assert {
        'levitpose.analysis.flops', 'levitpose.analysis.hook_flops',
        'mmengine.analysis'
    } <= set(loaded)


def test_inference_api_does_not_import_the_demo_app():
    loaded = _modules_after_import('levitpose.apis')
    assert not [
        m for m in loaded for prefix in NOT_ON_IMPORT['levitpose.apis']
        if m == prefix or m.startswith(prefix + '.')
    ]


def test_engine_holds_hooks_only():
    from mmpose.registry import HOOKS
    submodules = [
        m.name for m in pkgutil.iter_modules(levitpose.engine.__path__)
    ]
    assert submodules == ['hooks']
    exported = [
        getattr(levitpose.engine, name) for name in levitpose.engine.__all__
    ]
    hooks = [obj for obj in exported if HOOKS.get(obj.__name__) is obj]
    errors = [obj for obj in exported if issubclass(obj, Exception)]
    assert len(hooks) + len(errors) == len(exported)


def test_lite_runtime_never_imports_torch_or_levitpose():
    modules = sorted(Path(levitpose_lite.__file__).parent.glob('*.py'))
    assert len(modules) > 10
    imported = {m.name: _imported_names(m) & set(TORCH_WORLD) for m in modules}
    assert {name: found for name, found in imported.items() if found} == {}


def test_importing_every_lite_module_loads_no_torch():
    names = ', '.join(f'levitpose_lite.{m.name}'
                      for m in pkgutil.iter_modules(levitpose_lite.__path__))
    loaded = {m.split('.')[0] for m in _modules_after_import(names)}
    assert loaded & set(TORCH_WORLD) == set()


def test_torch_free_tools_import_no_torch():
    imported = {
        tool: _imported_names(REPO_ROOT / tool) & set(TORCH_WORLD)
        for tool in TORCH_FREE_TOOLS
    }
    assert {tool: found for tool, found in imported.items() if found} == {}
    video = _imported_names(REPO_ROOT /
                            'tools/analysis_tools/video_benchmark.py')
    assert video & set(TORCH_WORLD) == {'levitpose'}  # --demo modes only
