"""The demo on video: tracked people with ids in MMPose's per-frame format,
ids drawn, the detection interval, ``--no-track``, and ``--input webcam``
read from a fake capture device."""
import json
import re

import cv2
import numpy as np
import pytest

from .conftest import run_demo

VIDEO = 'demo/resources/crowdpose_103319_pan.mp4'
CLIP_FRAMES = 6


def write_clip(source, path, frames):
    """The first ``frames`` frames of ``source`` as an mp4 video."""
    capture = cv2.VideoCapture(str(source))
    writer = None
    for _ in range(frames):
        ok, frame = capture.read()
        assert ok
        if writer is None:
            height, width = frame.shape[:2]
            writer = cv2.VideoWriter(
                str(path), cv2.VideoWriter_fourcc(*'mp4v'),
                capture.get(cv2.CAP_PROP_FPS), (width, height))
        writer.write(frame)
    writer.release()
    capture.release()
    return path


@pytest.fixture(scope='module')
def tracked_run(repo_root, tmp_path_factory):
    """The demo's defaults on the first frames of the bundled video, the
    detector every 5th frame; ``--kpt-thr 0`` keeps every pose, whatever
    the confidence of the model the repository ships in these people."""
    clip = write_clip(repo_root / VIDEO,
                      tmp_path_factory.mktemp('clip') / 'pan.mp4', CLIP_FRAMES)
    out = tmp_path_factory.mktemp('tracked')
    proc = run_demo(
        '--input',
        clip,
        '--output-root',
        out,
        '--save-predictions',
        '--det-interval',
        '5',
        '--kpt-thr',
        '0',
        cwd=repo_root)
    return proc, out


@pytest.mark.slow
def test_tracked_video_has_one_entry_per_frame_with_track_ids(tracked_run):
    proc, out = tracked_run
    assert proc.returncode == 0, proc.stderr
    frames = json.loads((out / 'results_pan.json').read_text())
    frames = frames['instance_info']
    assert [f['frame_id'] for f in frames] == list(range(CLIP_FRAMES))
    assert all(f['instances'] for f in frames)
    for frame in frames:
        ids = [i['track_id'] for i in frame['instances']]
        assert all(isinstance(i, int) for i in ids)
        assert len(set(ids)) == len(ids)
        for instance in frame['instances']:
            assert np.array(instance['keypoints']).shape == (17, 2)
            assert np.array(instance['bbox']).shape == (1, 4)


@pytest.mark.slow
def test_ids_carry_over_between_frames(tracked_run):
    """Ids follow people from frame to frame (id stability itself is
    tested on synthetic tracks in ``tests/test_lite/test_tracker.py`` and
    measured by ``tools/analysis_tools/video_benchmark.py``)."""
    _, out = tracked_run
    frames = json.loads((out / 'results_pan.json').read_text())
    ids = [{i['track_id']
            for i in f['instances']} for f in frames['instance_info']]
    assert all(ids[i] & ids[i + 1] for i in range(len(ids) - 1))


@pytest.mark.slow
def test_tracked_run_reports_progress_and_tracking(tracked_run):
    proc, out = tracked_run
    assert re.search(
        rf'{CLIP_FRAMES}/{CLIP_FRAMES} \[[0-9:]+<[0-9:]+, *[0-9.]+frame/s\]',
        proc.stderr)
    assert re.search(
        rf'tracked \d+ person\(s\) over {CLIP_FRAMES} frames \(detector '
        r'every 5 frame\(s\), smoothing on\)', proc.stdout)
    capture = cv2.VideoCapture(str(out / 'pan.mp4'))
    assert int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) == CLIP_FRAMES


def test_track_ids_are_drawn_above_the_boxes():
    from levitpose.demo_app.pipeline import draw_track_ids
    drawn = np.zeros((240, 320, 3), np.uint8)
    draw_track_ids(drawn, np.array([[100, 80, 200, 220]], np.float32),
                   np.array([7]))
    rows, cols = np.nonzero(drawn.max(axis=2))
    assert rows.size and rows.max() < 80 and 95 <= cols.min() <= 110


class FakeCamera:
    """``cv2.VideoCapture`` stand-in: camera 0 plays the first frames of a
    video, then stops; other sources open for real."""

    frames = 4
    source = None

    def __new__(cls, target, *args):
        if target != 0:
            return REAL_CAPTURE(target, *args)
        return super().__new__(cls)

    def __init__(self, target, *args):
        self.capture = REAL_CAPTURE(str(self.source))
        self.left = self.frames

    def isOpened(self):
        return True

    def read(self):
        if self.left == 0:
            return False, None
        self.left -= 1
        return self.capture.read()

    def get(self, prop):
        return 15. if prop == cv2.CAP_PROP_FPS else -1.

    def release(self):
        self.capture.release()


REAL_CAPTURE = cv2.VideoCapture


@pytest.mark.slow
def test_webcam_input_reads_camera_zero(demo_module, repo_root, tmp_path,
                                        monkeypatch, capsys):
    from levitpose_lite import video  # where the demo reads videos
    monkeypatch.setattr(FakeCamera, 'source', repo_root / VIDEO)
    monkeypatch.setattr(video.cv2, 'VideoCapture', FakeCamera)
    status = demo_module.main([
        '--input', 'webcam', '--output-root',
        str(tmp_path), '--save-predictions', '--no-track', '--kpt-thr', '0'
    ])
    assert status == 0, capsys.readouterr().err
    frames = json.loads((tmp_path / 'results_webcam.json').read_text())
    assert [f['frame_id'] for f in frames['instance_info']] == [0, 1, 2, 3]
    assert all('track_id' not in i for f in frames['instance_info']
               for i in f['instances'])
    capture = REAL_CAPTURE(str(tmp_path / 'webcam.mp4'))
    assert int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) == 4


def test_no_webcam_is_a_one_line_error(demo_module, tmp_path, monkeypatch,
                                       capsys):
    from levitpose_lite import video  # where the demo reads videos

    class NoCamera:

        def __init__(self, *args):
            pass

        def isOpened(self):
            return False

        def release(self):
            pass

    monkeypatch.setattr(video.cv2, 'VideoCapture', NoCamera)
    status = demo_module.main(
        ['--input', 'webcam', '--output-root',
         str(tmp_path)])
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 1
    assert err[-1].startswith('error: cannot read from the webcam')


@pytest.mark.parametrize('args,message', [
    (['--det-interval', '0'], '--det-interval must be >= 1'),
    (['--det-interval', '5', '--no-track'], 'needs tracking'),
])
def test_bad_tracking_options_are_one_line_errors(run_main, tmp_path, args,
                                                  message):
    proc = run_main('demo/topdown_demo_with_mmdet.py', '--input', VIDEO,
                    '--output-root', tmp_path, *args)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0]


def test_video_defaults_detect_every_5th_frame():
    from levitpose.demo_app import VIDEO_DET_INTERVAL, DemoOptions
    assert VIDEO_DET_INTERVAL == 5
    assert DemoOptions(input='v.mp4').video_det_interval() == 5
    assert DemoOptions(input='v.mp4', no_track=True).video_det_interval() == 1
    assert DemoOptions(input='v.mp4', det_interval=2).video_det_interval() == 2
