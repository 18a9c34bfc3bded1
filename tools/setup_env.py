#!/usr/bin/env python3
"""Create or repair the project's virtual environment in ``.venv/``.

``make test``, ``make demo`` and ``make docs`` call this before they run, so a
fresh clone needs no other step. It uses only the standard library and runs
under the system ``python3``.

What it does, in order (each step prints one progress line):

1. create ``.venv`` with Python 3.11 (or reuse a working one);
2. install every package pinned in ``requirements/lock.txt`` with
   ``--no-deps`` (the lock is complete, so nothing is resolved at install
   time: mmpose's unbuildable ``chumpy`` and openmim's ``opendatalab`` are
   never pulled in, and no other torch can sneak in);
3. build mmcv 2.1.0 from its source tarball *with* its C++ ops
   (``--no-build-isolation``, ``MMCV_WITH_OPS=1``, C++20 instead of the
   tarball's ``-std=c++17``), or reuse the wheel cached in
   ``~/.cache/levitpose/wheels``;
4. build xtcocotools from source against the installed numpy (its PyPI wheel
   fails with "numpy.dtype size changed" under numpy 2), cached likewise;
5. install this repository in editable mode (``levitpose`` and
   ``levitpose_lite``);
6. verify: import the whole stack and run the compiled ``mmcv.ops.nms``.

A stamp file records the hash of the inputs; when it matches, the script
returns at once. Any failure prints one line starting with ``setup error:``
and exits non-zero; the full output is in ``.setup.log``.

``--relock`` re-resolves the top-level ``requirements/*.txt`` files and
rewrites ``requirements/lock.txt`` (maintainers only).
"""
import argparse
import fcntl
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from pathlib import Path
from typing import Tuple

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / '.venv'
REQ = ROOT / 'requirements'
LOCK = REQ / 'lock.txt'
LOG = ROOT / '.setup.log'
STAMP = VENV / '.levitpose-stamp'
CACHE = Path(
    os.environ.get('LEVITPOSE_CACHE',
                   Path.home() / '.cache' / 'levitpose')) / 'wheels'
PY = VENV / 'bin' / 'python'
PY_VERSION = (3, 11)
#: Oldest micro version of :data:`PY_VERSION` that every locked package
#: accepts (soupsieve 4.1.3 requires Python >= 3.11.5).
PY_MIN_MICRO = 5
MIN_FREE_GB = 9

# Packages built here from source rather than installed from the lock.
MMCV_VERSION = '2.1.0'
XTCOCO_VERSION = '1.14.3'
BUILT = {'mmcv', 'xtcocotools'}
# Installed without their declared dependencies even when re-locking.
NO_DEPS = {'mmpose', 'openmim'}
# Inputs whose change makes the environment stale.
STAMP_INPUTS = ('requirements/lock.txt', 'tools/setup_env.py', 'setup.cfg',
                'setup.py', 'pyproject.toml')
TOTAL_STEPS = 6
# A build step prints a progress line at least this often (seconds).
PROGRESS_SECONDS = 60
# ninja's status line ("[17/211] c++ ... -c file.cpp"): objects done/total
NINJA_STATUS = re.compile(r'\[(\d+)/(\d+)\]')
# a compiler invocation when ninja is absent (setuptools compiles one by one)
COMPILE_COMMAND = re.compile(
    r'(^|\s)(c\+\+|g\+\+|gcc|cc|clang\+\+)\s(.*\s)?-c\s')
# measured first setups on 2 cores, idle to loaded (README), in minutes
FIRST_SETUP_MINUTES = '9-34'

VERIFY = r'''
import importlib, sys
for name in ('torch', 'torchvision', 'mmengine', 'mmcv', 'mmdet', 'mmpose',
             'xtcocotools.coco', 'cv2', 'pkg_resources', 'levitpose',
             'levitpose_lite'):
    try:
        importlib.import_module(name)
    except Exception as err:  # report which import broke and why
        print(f'IMPORT {name}: {type(err).__name__}: {err}')
        sys.exit(3)
try:
    from mmcv import _ext  # noqa: F401  the compiled C++ ops
except ImportError as err:
    print(f'NOOPS {err}')
    sys.exit(4)
import torch
from mmcv.ops import nms
boxes = torch.tensor([[0., 0., 10., 10.], [1., 1., 10., 10.],
                      [20., 20., 30., 30.]])
scores = torch.tensor([0.9, 0.8, 0.7])
_, keep = nms(boxes, scores, iou_threshold=0.5)
if keep.tolist() != [0, 2]:
    print(f'NMS wrong result {keep.tolist()}')
    sys.exit(5)
print('ok')
'''


class SetupError(RuntimeError):
    """A failure with a one-line, actionable message."""


def progress(step: int, text: str) -> None:
    print(f'[setup {step}/{TOTAL_STEPS}] {text}', flush=True)


def log(text: str) -> None:
    with LOG.open('a') as f:
        f.write(text + '\n')


def run(cmd, what: str, env=None, cwd=None) -> str:
    """Run ``cmd``, appending its output to the log; raise on failure."""
    log(f'\n$ {" ".join(map(str, cmd))}')
    proc = subprocess.run([str(c) for c in cmd],
                          cwd=cwd,
                          env={
                              **os.environ, 'PIP_DISABLE_PIP_VERSION_CHECK':
                              '1',
                              **(env or {})
                          },
                          stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT,
                          text=True)
    log(proc.stdout)
    if proc.returncode != 0:
        raise SetupError(f'{what} failed ({explain(proc.stdout)}); '
                         f'full output in {LOG.name}')
    return proc.stdout


def explain(output: str) -> str:
    """Name the cause of a failed command from its output."""
    known = [
        (r'No matching distribution found for (\S+)',
         'no matching distribution for {0}: the package index is '
         'unreachable or lacks it'),
        (r'(Failed to establish a new connection|Temporary failure in name '
         r'resolution|Network is unreachable)',
         'network unreachable: the package index could not be reached'),
        (r'No space left on device', 'no space left on device'),
        (r"(g\+\+|gcc|c\+\+)'?: (not found|No such file)",
         'no C++ compiler: apt-get install -y g++'),
        (r'Python\.h: No such file', 'Python headers missing: '
         'apt-get install -y python3-dev'),
        (r'numpy\.dtype size changed', 'built against another numpy'),
        (r"No module named 'pkg_resources'", 'setuptools>=81 has no '
         'pkg_resources: keep setuptools<81'),
    ]
    for pattern, message in known:
        m = re.search(pattern, output)
        if m:
            return message.format(*m.groups())
    lines = [ln.strip() for ln in output.splitlines() if ln.strip()]
    errors = [ln for ln in lines if 'error' in ln.lower()]
    return (errors or lines or ['no output'])[-1][:200]


def pip(*args, what: str, env=None) -> str:
    return run([PY, '-m', 'pip', *args, '--progress-bar', 'off'],
               what=what,
               env=env)


def elapsed_text(seconds: float) -> str:
    """``'12 min 05 s'``."""
    minutes, seconds = divmod(int(seconds), 60)
    return f'{minutes} min {seconds:02d} s'


class BuildProgress:
    """Counts compiled objects in a build's output, line by line.

    Ninja (which torch's extension builder uses when it is installed)
    prints ``[done/total]`` before each command; without ninja each
    compiler invocation counts as one object and the total is unknown.
    """

    def __init__(self) -> None:
        self.done = 0
        self.total = 0

    def feed(self, line: str) -> None:
        """Update the counts from one line of build output."""
        status = NINJA_STATUS.search(line)
        if status:
            self.done = max(self.done, int(status.group(1)))
            self.total = int(status.group(2))
        elif not self.total and COMPILE_COMMAND.search(line):
            self.done += 1

    def text(self, seconds: float) -> str:
        """``'compiled 17/211 objects, 4 min 10 s elapsed'``."""
        total = f'/{self.total}' if self.total else ''
        return (f'compiled {self.done}{total} objects, '
                f'{elapsed_text(seconds)} elapsed')


def run_with_progress(cmd,
                      what: str,
                      label: str,
                      env=None,
                      interval: float = PROGRESS_SECONDS) -> str:
    """:func:`run`, printing ``label: compiled k/N objects, T elapsed`` every
    ``interval`` seconds while ``cmd`` runs (a build that would otherwise
    print nothing for half an hour)."""
    log(f'\n$ {" ".join(map(str, cmd))}')
    proc = subprocess.Popen([str(c) for c in cmd],
                            env={
                                **os.environ, 'PIP_DISABLE_PIP_VERSION_CHECK':
                                '1',
                                **(env or {})
                            },
                            stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT,
                            text=True)
    progress, lines = BuildProgress(), []

    def read() -> None:
        for line in proc.stdout:
            lines.append(line)
            progress.feed(line)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    t0 = time.time()
    while True:
        try:
            proc.wait(timeout=interval)
            break
        except subprocess.TimeoutExpired:
            print(
                f'    {label}: {progress.text(time.time() - t0)}', flush=True)
    reader.join()
    output = ''.join(lines)
    log(output)
    if proc.returncode != 0:
        raise SetupError(f'{what} failed ({explain(output)}); '
                         f'full output in {LOG.name}')
    return output


def stamp_value() -> str:
    h = hashlib.sha256()
    for rel in STAMP_INPUTS:
        p = ROOT / rel
        h.update(rel.encode())
        h.update(p.read_bytes() if p.exists() else b'<missing>')
    return h.hexdigest()


def python_version(python: str) -> Tuple[int, ...]:
    """``(major, minor, micro)`` of an interpreter; ``()`` if it does not
    run or says something else."""
    out = subprocess.run(
        [python, '-c', 'import sys; print(*sys.version_info[:3])'],
        stdout=subprocess.PIPE,
        text=True).stdout.split()
    return tuple(int(v) for v in out) if len(out) == 3 else ()


def python_usable(version: Tuple[int, ...]) -> bool:
    """Whether the lock installs on this Python: :data:`PY_VERSION`, micro
    :data:`PY_MIN_MICRO` or newer."""
    return version[:2] == PY_VERSION and version[2] >= PY_MIN_MICRO


def venv_python_ok() -> bool:
    return PY.exists() and python_usable(python_version(str(PY)))


def find_python() -> str:
    """Return a Python 3.11 interpreter (3.11.5 or newer) for the venv."""
    candidates = [
        sys.executable,
        shutil.which('python3.11'),
        shutil.which('python3')
    ]
    wanted = f'{PY_VERSION[0]}.{PY_VERSION[1]}.{PY_MIN_MICRO}'
    too_old = []
    for cand in dict.fromkeys(candidates):  # each path once, in order
        if not cand:
            continue
        version = python_version(cand)
        if python_usable(version):
            return cand
        if version[:2] == PY_VERSION:
            too_old.append(f'{".".join(map(str, version))} ({cand})')
    if too_old:
        raise SetupError(f'Python {wanted} or a newer 3.11 is required to '
                         f'build .venv (the locked packages need it); found '
                         f'only {", ".join(too_old)}: install a newer '
                         'python3.11 and rerun')
    raise SetupError(f'Python {wanted} or a newer 3.11 is required to build '
                     '.venv but none was found on PATH: install python3.11 '
                     'and rerun')


def check_disk() -> None:
    free_gb = shutil.disk_usage(ROOT).free / 2**30
    if free_gb < MIN_FREE_GB and not PY.exists():
        raise SetupError(f'only {free_gb:.1f} GB free in {ROOT}; .venv needs '
                         f'about {MIN_FREE_GB} GB (torch and its libraries)')


def create_venv() -> None:
    if venv_python_ok():
        progress(
            1, f'reusing {VENV.relative_to(ROOT)}/ '
            f'(Python {PY_VERSION[0]}.{PY_VERSION[1]})')
        return
    if VENV.exists():
        progress(1, 'the existing .venv is broken: recreating it')
        shutil.rmtree(VENV)
    else:
        progress(1, 'creating .venv with Python 3.11')
    py = find_python()
    try:
        run([py, '-m', 'venv', VENV], what='creating .venv')
    except SetupError as err:
        raise SetupError(f'{err} (on Debian: apt-get install -y '
                         'python3-venv)') from None


def lock_lines(exclude=()):
    """The pinned ``name==version`` lines of the lock, minus ``exclude``."""
    if not LOCK.exists():
        raise SetupError(f'{LOCK.relative_to(ROOT)} is missing: restore it '
                         'from git or run `tools/setup_env.py --relock`')
    lines = []
    for line in LOCK.read_text().splitlines():
        line = line.split('#')[0].strip()
        if not line:
            continue
        name = re.split(r'[=<>!~\[ ]', line, maxsplit=1)[0]
        if canon(name) not in {canon(e) for e in exclude}:
            lines.append(line)
    return lines


def canon(name: str) -> str:
    return re.sub(r'[-_.]+', '-', name).lower()


def install_locked() -> None:
    lines = lock_lines(exclude=BUILT)
    progress(
        2, f'installing {len(lines)} pinned packages from '
        'requirements/lock.txt (torch 2.14.1 comes from local disk; '
        '~1-3 min)')
    with tempfile.NamedTemporaryFile('w', suffix='.txt', delete=False) as f:
        f.write('\n'.join(lines) + '\n')
    try:
        pip('install',
            '--no-deps',
            '-r',
            f.name,
            what='installing the pinned packages')
    finally:
        os.unlink(f.name)


def cached_wheel(name: str, version: str):
    tag = wheel_tag(name)
    folder = CACHE / f'{name}-{version}-{tag}'
    wheels = sorted(folder.glob(f'{name}-{version}-*.whl'))
    return folder, (wheels[0] if wheels else None)


def wheel_tag(name: str) -> str:
    """ABI key of a cached build: what it was compiled against.

    mmcv's ops link against torch; xtcocotools' extension against numpy.
    """
    dep = 'torch' if name == 'mmcv' else 'numpy'
    out = run([
        PY, '-c', f'import sys, {dep}; '
        'print(f"py{sys.version_info[0]}{sys.version_info[1]}-'
        f'{dep}{{{dep}.__version__}}")'
    ],
              what=f'reading the {dep} version')
    return out.strip().splitlines()[-1].replace('+', '_')


def download_sdist(name: str, version: str, dest: Path) -> Path:
    pip('download',
        '--no-deps',
        '--no-binary',
        ':all:',
        '--no-build-isolation',
        '-d',
        dest,
        f'{name}=={version}',
        what=f'downloading the {name} {version} source tarball')
    found = sorted(dest.glob(f'{name}-{version}.tar.gz'))
    if not found:
        raise SetupError(f'the {name} {version} source tarball was not '
                         'downloaded')
    return found[0]


def build_wheel(step: int,
                name: str,
                version: str,
                note: str,
                patch=None,
                env=None) -> Path:
    folder, wheel = cached_wheel(name, version)
    if wheel:
        progress(
            step, f'{name} {version}: using the cached build '
            f'{wheel.relative_to(CACHE.parent)}')
        return wheel
    if name == 'mmcv' and not shutil.which(os.environ.get('CXX', 'g++')):
        raise SetupError('no C++ compiler found (g++): mmcv\'s ops need one; '
                         'apt-get install -y g++ and rerun')
    progress(step, f'{name} {version}: building from source ({note})')
    t0 = time.time()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        sdist = download_sdist(name, version, tmp)
        with tarfile.open(sdist) as tar:
            tar.extractall(tmp, filter='data')
        src = tmp / f'{name}-{version}'
        if patch:
            patch(src)
        out = tmp / 'dist'
        run_with_progress([
            PY, '-m', 'pip', 'wheel', '--no-build-isolation', '--no-deps',
            '--progress-bar', 'off', '--verbose', '-w', out, src
        ],
                          what=f'building {name} {version}',
                          label=f'{name} {version}',
                          env=env)
        built = sorted(out.glob(f'{name}-{version}-*.whl'))
        if not built:
            raise SetupError(f'building {name} {version} produced no wheel')
        folder.mkdir(parents=True, exist_ok=True)
        part = folder / (built[0].name + '.part')
        shutil.copy2(built[0], part)
        final = folder / built[0].name
        os.replace(part, final)  # never leave a half-copied wheel in cache
    print(
        f'    built in {time.time() - t0:.0f} s, cached in {folder}',
        flush=True)
    return final


def patch_mmcv(src: Path) -> None:
    """torch>=2.10 headers need C++20; mmcv 2.1.0 forces -std=c++17."""
    setup_py = src / 'setup.py'
    text = setup_py.read_text()
    if "'-std=c++17'" not in text:
        raise SetupError('mmcv setup.py no longer contains -std=c++17; '
                         'update patch_mmcv in tools/setup_env.py')
    setup_py.write_text(text.replace("'-std=c++17'", "'-std=c++20'"))


def install_built() -> None:
    jobs = str(min(2, os.cpu_count() or 1))
    mmcv = build_wheel(
        3,
        'mmcv',
        MMCV_VERSION,
        'C++ ops, C++20; 8-30 minutes on 2 cores, idle to loaded; '
        'progress every minute',
        patch=patch_mmcv,
        env={
            'MMCV_WITH_OPS': '1',
            'MAX_JOBS': jobs,
            'FORCE_CUDA': '0'
        })
    pip('install',
        '--no-deps',
        '--force-reinstall',
        mmcv,
        what='installing the mmcv wheel')
    xtcoco = build_wheel(4, 'xtcocotools', XTCOCO_VERSION,
                         'against the installed numpy; about 1 minute')
    pip('install',
        '--no-deps',
        '--force-reinstall',
        xtcoco,
        what='installing the xtcocotools wheel')


# setuptools<81 is pinned on purpose (mmcv's setup.py, mmengine's `mmpose::`
# lookup and mim import pkg_resources); its deprecation warning would
# otherwise open every command's stderr, so the venv filters that one message.
QUIET_PTH = ('import warnings; warnings.filterwarnings("ignore", '
             'message="pkg_resources is deprecated as an API", '
             'category=UserWarning)\n')


def install_project() -> None:
    progress(5, 'installing levitpose and levitpose_lite (editable)')
    pip('install',
        '--no-deps',
        '--no-build-isolation',
        '-e',
        ROOT,
        what='installing this repository in editable mode')
    site = run([
        PY, '-c', 'import sysconfig; '
        'print(sysconfig.get_paths()["purelib"])'
    ],
               what='locating site-packages').strip().splitlines()[-1]
    Path(site, 'levitpose_quiet_pkg_resources.pth').write_text(QUIET_PTH)


def verify() -> None:
    progress(6, 'verifying: importing the stack and running mmcv.ops.nms')
    proc = subprocess.run([str(PY), '-c', VERIFY],
                          stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT,
                          text=True,
                          cwd=ROOT)
    log(proc.stdout)
    out = proc.stdout.strip().splitlines()
    last = out[-1] if out else ''
    if proc.returncode == 4:
        raise SetupError('mmcv was installed without its C++ ops '
                         f'({last}); delete {CACHE}/mmcv-* and rerun')
    if proc.returncode != 0:
        if 'dtype size changed' in proc.stdout:
            raise SetupError('xtcocotools was built against another numpy; '
                             f'delete {CACHE}/xtcocotools-* and rerun')
        raise SetupError(f'the environment does not work: {last}')


def relock() -> None:
    """Resolve the top-level requirements and rewrite the lock."""
    create_venv()
    files = ['runtime.txt', 'tests.txt', 'docs.txt']
    normal, special = [], []
    for fname in files:
        for line in (REQ / fname).read_text().splitlines():
            line = line.split('#')[0].strip()
            if not line:
                continue
            name = canon(re.split(r'[=<>!~\[ ]', line, maxsplit=1)[0])
            (special if name in BUILT | NO_DEPS else normal).append(line)
    print('relock: resolving', len(normal), 'requirements', flush=True)
    pip('install', 'wheel', 'cython', *normal, what='resolving')
    install_built()
    pip('install',
        '--no-deps',
        *[s for s in special if canon(s.split('=')[0]) in NO_DEPS],
        what='installing the no-deps packages')
    frozen = run([PY, '-m', 'pip', 'freeze', '--all', '--exclude-editable'],
                 what='freezing')
    # the source builds freeze as `name @ file://...`: pin them by version
    frozen = frozen.replace('\nmmcv @ ', f'\nmmcv=={MMCV_VERSION} # ').replace(
        '\nxtcocotools @ ', f'\nxtcocotools=={XTCOCO_VERSION} # ')
    header = ('# The single source of truth for .venv: every package, '
              'exactly pinned.\n# Generated by `python3 tools/setup_env.py '
              '--relock` from runtime.txt,\n# tests.txt and docs.txt; '
              'installed with --no-deps by tools/setup_env.py.\n')
    pins = [
        ln.split(' #')[0] for ln in frozen.splitlines()
        if '==' in ln and not ln.startswith(('#', 'pip=='))
    ]
    LOCK.write_text(header + '\n'.join(sorted(pins, key=str.lower)) + '\n')
    print(f'relock: wrote {len(pins)} pins to {LOCK.relative_to(ROOT)}')


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--relock',
        action='store_true',
        help='re-resolve requirements/*.txt into lock.txt')
    parser.add_argument(
        '--force',
        action='store_true',
        help='re-run every step even if the stamp matches')
    args = parser.parse_args()
    ROOT.joinpath('.venv.lock').touch()
    with open(ROOT / '.venv.lock') as lockf:
        fcntl.flock(lockf, fcntl.LOCK_EX)  # one setup at a time
        try:
            if args.relock:
                relock()
                return 0
            want = stamp_value()
            if (not args.force and STAMP.exists()
                    and STAMP.read_text().strip() == want
                    and venv_python_ok()):
                return 0
            t0 = time.time()
            LOG.write_text(f'setup started {time.ctime()}\n')
            print(
                f'Setting up .venv (first time: {FIRST_SETUP_MINUTES} min on '
                f'2 cores, the longer on a loaded machine; log: {LOG.name})',
                flush=True)
            check_disk()
            create_venv()
            STAMP.unlink(missing_ok=True)  # stale until every step passes
            install_locked()
            install_built()
            install_project()
            verify()
            STAMP.write_text(want + '\n')
            print(f'.venv ready in {time.time() - t0:.0f} s', flush=True)
            return 0
        except SetupError as err:
            print(f'setup error: {err}', file=sys.stderr, flush=True)
            return 1
        except KeyboardInterrupt:
            print(
                'setup error: interrupted; rerun to finish (completed '
                'steps are reused)',
                file=sys.stderr)
            return 130


if __name__ == '__main__':
    sys.exit(main())
