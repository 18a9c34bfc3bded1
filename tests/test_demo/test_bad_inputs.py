"""Bad input: one ``error:`` line on stderr, non-zero exit (2 for the
command line, 1 for what it names), no traceback, nothing lost.

Most cases call the script's ``main`` in-process (fast); some run it as a
subprocess to check the real exit status and stderr of a fresh process.
"""
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from .conftest import run_demo

IMAGE = 'demo/resources/coco_000000000785.jpg'
POSE_CONFIG = ('configs/body_2d_keypoint/topdown_heatmap/coco/'
               'td-hm_levitpose-t_8xb64-210e_coco-256x256.py')


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
    assert code == 2 and len(lines) == 1 and '--kpt-thr' in lines[0]


def test_output_root_that_is_a_file(demo_module, capsys, repo_root,
                                    monkeypatch, tmp_path):
    monkeypatch.chdir(repo_root)
    taken = tmp_path / 'results.txt'
    taken.write_text('keep me')
    code, stderr = run_main(demo_module, capsys, '--input', IMAGE,
                            '--output-root', taken)
    lines = error_lines(stderr)
    assert code == 2 and len(lines) == 1, stderr
    assert lines[0].startswith('error: --output-root') and \
        'is a file' in lines[0]
    assert taken.read_text() == 'keep me'


def test_show_without_display(demo_module, capsys, repo_root, monkeypatch,
                              out):
    monkeypatch.chdir(repo_root)
    monkeypatch.delenv('DISPLAY', raising=False)
    monkeypatch.delenv('WAYLAND_DISPLAY', raising=False)
    code, stderr = run_main(demo_module, capsys, '--input', IMAGE, '--show',
                            '--output-root', out)
    lines = error_lines(stderr)
    assert code == 2 and len(lines) == 1 and '--show needs a display' in \
        lines[0]


@pytest.mark.parametrize(
    'args, expected', [(('--input', 'missing.jpg'), 'does not exist'),
                       (('--input', IMAGE, '--device', 'banana'), 'banana')],
    ids=['missing_input', 'invalid_device'])
def test_subprocess_bad_input_is_one_line(repo_root, tmp_path, args, expected):
    args = [tmp_path / a if a == 'missing.jpg' else a for a in args]
    proc = run_demo(*args, '--output-root', tmp_path / 'out', cwd=repo_root)
    lines = error_lines(proc.stderr)
    assert proc.returncode == 1 and len(lines) == 1, proc.stderr
    assert expected in lines[0]


def test_subprocess_usage_error_is_one_line(repo_root):
    proc = run_demo('--output-root', 'x', cwd=repo_root)  # no --input
    lines = error_lines(proc.stderr)
    assert proc.returncode == 2 and len(lines) == 1, proc.stderr
    assert '--input' in lines[0]


def test_subprocess_folder_with_a_corrupt_image_keeps_the_good_ones(
        repo_root, tmp_path):
    folder, out = tmp_path / 'in', tmp_path / 'out'
    folder.mkdir()
    for name in ('a.png', 'c.png'):
        cv2.imwrite(str(folder / name), np.full((120, 160, 3), 90, np.uint8))
    (folder / 'b.png').write_bytes(b'\x89PNG\r\n\x1a\n truncated')
    proc = run_demo(
        '--input',
        folder,
        '--output-root',
        out,
        '--save-predictions',
        '--pose-config',
        POSE_CONFIG,  # initial weights: only the files matter here
        cwd=repo_root)
    lines = error_lines(proc.stderr)
    assert proc.returncode == 1 and out.is_dir(), proc.stderr
    assert sorted(p.name for p in out.iterdir()) == [
        'a.png', 'c.png', 'results_a.json', 'results_c.json'
    ]
    skipped = [line for line in lines if line.startswith('warning: skipped')]
    assert len(skipped) == 1 and 'b.png' in skipped[0]
    errors = [line for line in lines if line.startswith('error:')]
    assert len(errors) == 1 and str(Path(folder, 'b.png')) in errors[0]
    assert 'the 2 readable image(s) were processed' in errors[0]
