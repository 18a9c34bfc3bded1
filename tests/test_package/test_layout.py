"""The package's layers: ``import levitpose`` (what every config's
``custom_imports`` runs) registers modules and imports no command-line,
demo, deployment or analysis code (nor ``mmengine.analysis``, which FLOP
counting loads); ``engine`` holds hooks only; the inference API
does not import the demo application built on it."""
import pkgutil
import subprocess
import sys

import levitpose.engine

# what `import X` must not pull in, by what X is
NOT_ON_IMPORT = {
    'levitpose': ('levitpose.cli', 'levitpose.demo_app', 'levitpose.deploy',
                  'levitpose.visualization.dataset_browser',
                  'levitpose.analysis', 'mmengine.analysis'),
    'levitpose.apis':
    ('levitpose.cli', 'levitpose.demo_app', 'levitpose.deploy'),
}


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
