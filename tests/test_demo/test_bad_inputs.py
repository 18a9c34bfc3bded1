"""Bad input: one ``error:`` line on stderr, non-zero exit, no traceback.

Most cases call the script's ``main`` in-process (fast); two run it as a
subprocess to check the real exit status and stderr of a fresh process.
"""
import pytest
import torch

from .conftest import run_demo

IMAGE = 'demo/resources/coco_000000000785.jpg'


def error_lines(stderr):
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert 'Traceback' not in stderr
    return lines


def run_main(demo_module, capsys, *args):
    code = demo_module.main([str(a) for a in args])
    return code, capsys.readouterr().err


@pytest.fixture
def out(tmp_path):
    return tmp_path / 'out'


@pytest.fixture
def inputs(tmp_path, sample_video):
    """Bad inputs, by case name."""
    text = tmp_path / 'notes.txt'
    text.write_text('not an image')
    empty = tmp_path / 'empty'
    empty.mkdir()
    video = tmp_path / 'broken.mp4'
    video.write_bytes(sample_video.read_bytes()[:2000])  # truncated
    return dict(
        missing=tmp_path / 'missing.jpg', text=text, empty=empty, video=video)


@pytest.mark.parametrize('case,message', [
    ('missing', 'does not exist'),
    ('text', 'neither an image'),
    ('empty', 'has no images'),
    ('video', 'cannot read video'),
])
def test_bad_input_path(demo_module, capsys, repo_root, monkeypatch, inputs,
                        out, case, message):
    monkeypatch.chdir(repo_root)
    code, stderr = run_main(demo_module, capsys, '--input', inputs[case],
                            '--output-root', out)
    lines = error_lines(stderr)
    assert code == 1 and len(lines) == 1, stderr
    assert lines[0].startswith('error: ') and message in lines[0]
    assert not out.exists()


def test_missing_config(demo_module, capsys, repo_root, monkeypatch, out):
    monkeypatch.chdir(repo_root)
    code, stderr = run_main(demo_module, capsys, '--input', IMAGE,
                            '--pose-config', 'configs/no_such.py',
                            '--output-root', out)
    lines = error_lines(stderr)
    assert code == 1 and len(lines) == 1, stderr
    assert 'config configs/no_such.py does not exist' in lines[0]


def test_checkpoint_that_does_not_fit(demo_module, capsys, repo_root,
                                      monkeypatch, tiny_detector, out):
    monkeypatch.chdir(repo_root)
    _, det_checkpoint = tiny_detector  # a detector's weights, not a pose's
    code, stderr = run_main(demo_module, capsys, '--input', IMAGE,
                            '--pose-checkpoint', det_checkpoint,
                            '--output-root', out)
    lines = [
        line for line in error_lines(stderr) if not line.startswith('warning:')
    ]
    assert code == 1 and len(lines) == 1, stderr
    assert 'does not fit' in lines[0]
    assert 'missing key(s): backbone.' in lines[0]
    assert 'unexpected key(s): ' in lines[0]


@pytest.mark.parametrize('device,message', [
    ('banana', "invalid device 'banana'"),
    pytest.param(
        'cuda:0',
        'CUDA is not available',
        marks=pytest.mark.skipif(
            torch.cuda.is_available(), reason='needs no CUDA')),
])
def test_invalid_device(demo_module, capsys, repo_root, monkeypatch, out,
                        device, message):
    monkeypatch.chdir(repo_root)
    code, stderr = run_main(demo_module, capsys, '--input', IMAGE, '--device',
                            device, '--output-root', out)
    lines = error_lines(stderr)
    assert code == 1 and len(lines) == 1, stderr
    assert message in lines[0]


def test_bad_option_value(demo_module, capsys, repo_root, monkeypatch, out):
    monkeypatch.chdir(repo_root)
    code, stderr = run_main(demo_module, capsys, '--input', IMAGE, '--kpt-thr',
                            '2', '--output-root', out)
    lines = error_lines(stderr)
    assert code == 1 and len(lines) == 1 and '--kpt-thr' in lines[0]


def test_show_without_display(demo_module, capsys, repo_root, monkeypatch,
                              out):
    monkeypatch.chdir(repo_root)
    monkeypatch.delenv('DISPLAY', raising=False)
    monkeypatch.delenv('WAYLAND_DISPLAY', raising=False)
    code, stderr = run_main(demo_module, capsys, '--input', IMAGE, '--show',
                            '--output-root', out)
    lines = error_lines(stderr)
    assert code == 1 and len(lines) == 1 and '--show needs a display' in \
        lines[0]


def test_subprocess_missing_input(repo_root, tmp_path):
    proc = run_demo(
        '--input',
        tmp_path / 'missing.jpg',
        '--output-root',
        tmp_path / 'out',
        cwd=repo_root)
    lines = error_lines(proc.stderr)
    assert proc.returncode == 1 and len(lines) == 1, proc.stderr
    assert 'does not exist' in lines[0]


def test_subprocess_invalid_device(repo_root, tmp_path):
    proc = run_demo(
        '--input',
        IMAGE,
        '--device',
        'banana',
        '--output-root',
        tmp_path / 'out',
        cwd=repo_root)
    lines = error_lines(proc.stderr)
    assert proc.returncode == 1 and len(lines) == 1, proc.stderr
    assert 'banana' in lines[0]


def test_subprocess_usage_error_is_one_line(repo_root):
    proc = run_demo('--output-root', 'x', cwd=repo_root)  # no --input
    lines = error_lines(proc.stderr)
    assert proc.returncode == 2 and len(lines) == 1, proc.stderr
    assert '--input' in lines[0]
