"""tools/setup_env.py: the environment builder behind `make test/demo`."""
import re
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope='module')
def setup_env(load_tool):
    return load_tool('tools/setup_env.py')


@pytest.mark.serial  # times the no-op: not beside other tests
def test_current_env_is_a_fast_no_op():
    """With .venv current, setup returns quickly and prints nothing."""
    t0 = time.time()
    out = subprocess.run(['python3', 'tools/setup_env.py'],
                         cwd=ROOT,
                         capture_output=True,
                         text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout == ''
    assert time.time() - t0 < 30


def test_stamp_matches_inputs(setup_env):
    stamp = ROOT / '.venv' / '.levitpose-stamp'
    assert stamp.read_text().strip() == setup_env.stamp_value()


def test_lock_pins_every_line_exactly(setup_env):
    lines = setup_env.lock_lines()
    assert len(lines) > 50
    bad = [ln for ln in lines if not re.fullmatch(r'[\w.\-]+==[\w.+\-]+', ln)]
    assert bad == []


def test_lock_holds_the_required_pins(setup_env):
    pins = dict(ln.split('==') for ln in setup_env.lock_lines())
    pins = {setup_env.canon(k): v for k, v in pins.items()}
    assert pins['torch'] == '2.14.1'
    assert pins['torchvision'] == '0.29.1'
    assert pins['mmengine'] == '0.10.7'
    assert pins['mmcv'] == '2.1.0'
    assert pins['mmpose'] == '1.3.2'
    assert pins['mmdet'] == '3.3.0'
    assert int(pins['numpy'].split('.')[0]) == 2
    assert int(pins['opencv-python'].split('.')[0]) < 5
    assert int(pins['munkres'].split('.')[0]) < 3
    assert 77 <= int(pins['setuptools'].split('.')[0]) < 81
    # never installed: they cannot build here or would downgrade setuptools
    for absent in ('chumpy', 'opendatalab', 'openxlab'):
        assert absent not in pins


def test_requirement_files_agree_with_lock(setup_env):
    """Every exact pin in requirements/*.txt is the version in the lock."""
    pins = {
        setup_env.canon(k): v
        for k, v in (ln.split('==') for ln in setup_env.lock_lines())
    }
    for name in ('runtime.txt', 'tests.txt', 'docs.txt', 'lite.txt'):
        for line in (ROOT / 'requirements' / name).read_text().splitlines():
            line = line.split('#')[0].strip()
            m = re.fullmatch(r'([\w.\-]+)==([\w.+\-]+)', line)
            if m:
                assert pins[setup_env.canon(m[1])] == m[2], (name, line)


@pytest.mark.parametrize('output, expected', [
    ('ERROR: No matching distribution found for mmcv==9.9',
     'no matching distribution for mmcv==9.9'),
    ('OSError: [Errno 28] No space left on device', 'no space left'),
    ("ModuleNotFoundError: No module named 'pkg_resources'",
     'keep setuptools<81'),
    ('error: command \'g++\': No such file', 'no C++ compiler'),
    ('ValueError: numpy.dtype size changed, may indicate binary '
     'incompatibility', 'built against another numpy'),
    ('Failed to establish a new connection: [Errno 101]',
     'network unreachable'),
])
def test_known_errors_get_one_line_explanations(setup_env, output, expected):
    message = setup_env.explain(f'Collecting x\n{output}\nmore\n')
    assert expected in message
    assert '\n' not in message


def test_unknown_error_reports_its_last_error_line(setup_env):
    message = setup_env.explain('step 1\nerror: the real cause\ntrailer\n')
    assert message == 'error: the real cause'


def fake_pythons(setup_env, monkeypatch, versions):
    """Make find_python see ``versions`` ({path: 'X Y Z'}) as
    sys.executable, python3.11 and python3, in that order."""
    paths = list(versions)
    monkeypatch.setattr(setup_env, 'sys', SimpleNamespace(executable=paths[0]))
    monkeypatch.setattr(
        setup_env.shutil, 'which', lambda name: {
            'python3.11': paths[1],
            'python3': paths[2]
        }[name])

    def run(cmd, **kwargs):
        return SimpleNamespace(stdout=versions[cmd[0]] + '\n')

    monkeypatch.setattr(setup_env, 'subprocess',
                        SimpleNamespace(run=run, PIPE=subprocess.PIPE))


def test_find_python_takes_the_first_new_enough_3_11(setup_env, monkeypatch):
    fake_pythons(setup_env, monkeypatch, {
        '/a/python': '3 12 1',
        '/b/python3.11': '3 11 2',
        '/c/python3': '3 11 9'
    })
    assert setup_env.find_python() == '/c/python3'


def test_find_python_names_a_3_11_too_old_for_the_lock(setup_env, monkeypatch):
    fake_pythons(setup_env, monkeypatch, {
        '/a/python': '3 10 4',
        '/b/python3.11': '3 11 2',
        '/c/python3': '3 11 2'
    })
    with pytest.raises(setup_env.SetupError) as info:
        setup_env.find_python()
    message = str(info.value)
    assert message.startswith('Python 3.11.5 or a newer 3.11 is required')
    assert '3.11.2 (/b/python3.11)' in message and '\n' not in message


def test_find_python_tries_each_path_once(setup_env, monkeypatch):
    fake_pythons(
        setup_env, monkeypatch, {
            '/usr/bin/python3': '3 11 2',
            '/usr/bin/python3.11': '3 11 2',
            '/c/python3': ''
        })
    # python3 on PATH is sys.executable itself
    monkeypatch.setattr(setup_env.shutil, 'which',
                        lambda name: f'/usr/bin/{name}')
    with pytest.raises(setup_env.SetupError) as info:
        setup_env.find_python()
    assert str(info.value).count('(/usr/bin/python3)') == 1


@pytest.mark.parametrize('version, ok', [('3 11 9', True), ('3 11 2', False),
                                         ('3 12 1', False), ('', False)])
def test_an_existing_venv_is_reused_only_on_a_usable_python(
        setup_env, monkeypatch, tmp_path, version, ok):
    python = tmp_path / 'python'
    python.touch()
    monkeypatch.setattr(setup_env, 'PY', python)
    monkeypatch.setattr(
        setup_env, 'subprocess',
        SimpleNamespace(
            run=lambda cmd, **kwargs: SimpleNamespace(stdout=version),
            PIPE=subprocess.PIPE))
    assert setup_env.venv_python_ok() is ok


def test_find_python_without_any_3_11(setup_env, monkeypatch):
    fake_pythons(setup_env, monkeypatch, {
        '/a/python': '3 10 4',
        '/b/python3.11': '',
        '/c/python3': '3 12 0'
    })
    with pytest.raises(setup_env.SetupError, match='none was found on PATH'):
        setup_env.find_python()


def test_failed_command_raises_setup_error_with_log(setup_env, tmp_path,
                                                    monkeypatch):
    monkeypatch.setattr(setup_env, 'LOG', tmp_path / 'setup.log')
    with pytest.raises(setup_env.SetupError, match='probe failed'):
        setup_env.run([sys.executable, '-c', 'raise SystemExit(3)'],
                      what='probe')
    assert 'raise SystemExit(3)' in (tmp_path / 'setup.log').read_text()


def test_mmcv_patch_switches_to_cxx20(setup_env, tmp_path):
    (tmp_path /
     'setup.py').write_text("args = ['-std=c++17']\nother = ['-std=c++14']\n")
    setup_env.patch_mmcv(tmp_path)
    text = (tmp_path / 'setup.py').read_text()
    assert "'-std=c++20'" in text and "'-std=c++17'" not in text
    assert "'-std=c++14'" in text


def test_mmcv_patch_refuses_an_unknown_setup_py(setup_env, tmp_path):
    (tmp_path / 'setup.py').write_text('nothing to patch\n')
    with pytest.raises(setup_env.SetupError, match='c\\+\\+17'):
        setup_env.patch_mmcv(tmp_path)


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / '.ci' / 'run').read_text()
    assert re.search(r'^make test$', ci, re.M)
    assert 'make test' in (ROOT / 'README.md').read_text()


def test_make_test_fails_when_no_tests_are_collected(tmp_path):
    """pytest's exit code 5 (no tests) must fail `make test`."""
    (tmp_path / 'test_nothing.py').write_text('')
    out = subprocess.run([
        'make', '-s', 'test', f'TESTS={tmp_path}/test_nothing.py',
        'PY=' + sys.executable
    ],
                         cwd=ROOT,
                         capture_output=True,
                         text=True,
                         timeout=120)
    assert out.returncode != 0
    assert 'collected no tests' in out.stderr


def test_build_shows_progress_at_least_every_interval(setup_env, tmp_path,
                                                      monkeypatch, capsys):
    """A silent build (ninja prints nothing between its status lines)
    still gets a progress line per interval, with objects and time."""
    monkeypatch.setattr(setup_env, 'LOG', tmp_path / 'setup.log')
    script = ('import time\n'
              'for i in range(1, 4):\n'
              '    print(f"[{i}/3] c++ -c op{i}.cpp -o op{i}.o", flush=True)\n'
              '    time.sleep(0.6)\n')
    output = setup_env.run_with_progress([sys.executable, '-c', script],
                                         what='building x',
                                         label='mmcv 2.1.0',
                                         interval=0.2)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) >= 5  # about 1.8 s of build at 0.2 s intervals
    assert all(
        re.fullmatch(
            r'    mmcv 2\.1\.0: compiled [0-3](/3)? objects, '
            r'0 min \d\d s elapsed', line) for line in lines)
    assert 'compiled 2/3' in '\n'.join(lines)
    assert '[3/3] c++' in output
    assert '[3/3] c++' in (tmp_path / 'setup.log').read_text()


def test_build_progress_without_ninja_counts_compiler_calls(setup_env):
    progress = setup_env.BuildProgress()
    for line in ('running build_ext', 'g++ -O3 -fPIC -c a.cpp -o a.o',
                 'gcc -c b.c -o b.o', 'g++ -shared a.o b.o -o ext.so'):
        progress.feed(line)
    assert progress.text(125) == 'compiled 2 objects, 2 min 05 s elapsed'


def test_failed_build_with_progress_raises_setup_error(setup_env, tmp_path,
                                                       monkeypatch):
    monkeypatch.setattr(setup_env, 'LOG', tmp_path / 'setup.log')
    with pytest.raises(setup_env.SetupError, match='building x failed'):
        setup_env.run_with_progress(
            [sys.executable, '-c', 'print("error: no"); raise SystemExit(1)'],
            what='building x',
            label='x')


def test_readme_states_the_measured_first_setup_time(setup_env):
    readme = (ROOT / 'README.md').read_text()
    assert f'{setup_env.FIRST_SETUP_MINUTES} min' in readme
