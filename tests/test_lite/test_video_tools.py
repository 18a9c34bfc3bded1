"""The bundled video (reproducible from its recorded command, the same two
people in every frame), the tracker with the real ONNX runtime on it, and
``tools/analysis_tools/video_benchmark.py``."""
import hashlib
import importlib.util
import json
import subprocess
import sys

import cv2
import numpy as np
import pytest
from tiny_detector import export_tiny_rtmdet

from levitpose_lite import TopDownPoseONNX
from levitpose_lite.tracker import PoseTracker

VIDEO = 'demo/resources/crowdpose_103319_pan.mp4'
GT = 'demo/resources/crowdpose_103319_pan.json'
CROWDPOSE = 'mmpose/tests/data/crowdpose'


def sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_frames(path, count=None):
    capture = cv2.VideoCapture(str(path))
    frames = []
    while count is None or len(frames) < count:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(frame)
    return frames


def load_tool(repo_root, name):
    path = repo_root / 'tools' / name
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_bundled_video_is_made_by_its_recorded_command(repo_root, shared_data,
                                                       tmp_path):
    out = tmp_path / 'pan.mp4'
    result = subprocess.run([
        sys.executable,
        str(repo_root / 'tools/misc/make_pan_video.py'),
        str(shared_data / CROWDPOSE / '103319.jpg'),
        str(shared_data / CROWDPOSE / 'test_crowdpose.json'),
        str(out)
    ],
                            capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stderr
    assert sha256(out) == sha256(repo_root / VIDEO)
    assert sha256(out.with_suffix('.json')) == sha256(repo_root / GT)


def test_the_same_two_people_are_in_every_frame(repo_root):
    gt = json.loads((repo_root / GT).read_text())
    frames = read_frames(repo_root / VIDEO)
    assert len(frames) == len(gt['frames']) == 75 >= 60
    boxes = np.array([f['boxes'] for f in gt['frames']])  # (75, 2, 4)
    assert boxes.shape == (75, 2, 4)
    heights = boxes[..., 3] - boxes[..., 1]
    assert heights.min() > 128  # tall enough for the HOG fallback


def test_batched_and_per_person_pose_agree_on_the_video(
        repo_root, levitpose_t_coco):
    gt = json.loads((repo_root / GT).read_text())['frames']
    frames = read_frames(repo_root / VIDEO, 4)
    pose = TopDownPoseONNX(levitpose_t_coco[2])
    runs = []
    for batched in (True, False):
        state = dict(frame=0)

        def detector(image):
            boxes = np.array(gt[state['frame']]['boxes'], np.float32)
            return boxes, np.ones(len(boxes), np.float32)

        # random weights: keep every pose, however unconfident
        tracker = PoseTracker(
            detector, pose, kpt_thr=-1e9, batched=batched, refine=False)
        results = []
        for i, frame in enumerate(frames):
            state['frame'] = i
            results.append(tracker(frame))
        runs.append(results)
    for batched, single in zip(*runs):
        assert len(batched) == len(single) > 0
        for a, b in zip(batched, single):
            assert a['track_id'] == b['track_id']
            np.testing.assert_allclose(
                a['keypoints'], b['keypoints'], atol=1e-3)


def test_id_switches_are_counted_per_ground_truth_person(repo_root):
    bench = load_tool(repo_root, 'analysis_tools/video_benchmark.py')
    box_a, box_b = [0, 0, 10, 20], [50, 0, 60, 20]
    gt = [dict(boxes=[box_a, box_b])] * 4

    def person(track_id, box):
        return dict(track_id=track_id, bbox=np.array(box, np.float32))

    results = [
        [person(0, box_a), person(1, box_b)],
        [person(0, box_a)],  # b missed: not a switch
        [person(0, box_a), person(1, box_b)],
        [person(2, box_a), person(1, box_b)],  # a switched to id 2
    ]
    switches, tracked = bench.count_id_switches(results, gt)
    assert switches == 1
    assert tracked == pytest.approx(7 / 8)


@pytest.fixture(scope='module')
def tiny_rtmdet_onnx(tmp_path_factory):
    path = str(tmp_path_factory.mktemp('det') / 'tiny_rtmdet.onnx')
    export_tiny_rtmdet(path)
    return path


def test_video_benchmark_writes_table_and_plot(repo_root, levitpose_t_coco,
                                               tiny_rtmdet_onnx, tmp_path):
    result = subprocess.run([
        sys.executable,
        str(repo_root / 'tools/analysis_tools/video_benchmark.py'),
        levitpose_t_coco[2], '--video',
        str(repo_root / VIDEO), '--det-onnx', tiny_rtmdet_onnx, '--max-frames',
        '3', '--intervals', '1', '2', '--out-dir',
        str(tmp_path)
    ],
                            capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stderr
    table = (tmp_path / 'video_benchmark.md').read_text()
    rows = [line for line in table.splitlines() if line.startswith('| every')]
    assert len(rows) == 4
    assert '| every frame | batched |' in table
    assert '| every 2 frames | one per person |' in table
    assert 'id switches' in table
    assert (tmp_path / 'video_benchmark.png').stat().st_size > 0


def test_video_benchmark_bad_video_is_a_one_line_error(repo_root,
                                                       levitpose_t_coco,
                                                       tmp_path):
    result = subprocess.run([
        sys.executable,
        str(repo_root / 'tools/analysis_tools/video_benchmark.py'),
        levitpose_t_coco[2], '--video',
        str(tmp_path / 'none.mp4')
    ],
                            capture_output=True,
                            text=True)
    assert result.returncode == 2
    assert result.stderr.startswith('error: cannot open video')
    assert len(result.stderr.strip().splitlines()) == 1


def run_benchmark(repo_root, *args):
    return subprocess.run([
        sys.executable,
        str(repo_root / 'tools/analysis_tools/video_benchmark.py'), *args
    ],
                          capture_output=True,
                          text=True,
                          cwd=repo_root)


def test_compare_detectors_counts_true_people(repo_root, tmp_path):
    result = run_benchmark(repo_root, '--compare-detectors', '--video',
                           str(repo_root / VIDEO), '--max-frames', '11',
                           '--every', '5', '--out-dir', str(tmp_path))
    assert result.returncode == 0, result.stderr
    table = (tmp_path / 'detectors.md').read_text()
    rows = [line for line in table.splitlines() if line.startswith('| ')]
    assert rows[0].startswith('| settings | ms/frame | true people found')
    # 3 frames (0, 5, 10) of 2 people each, for both settings
    assert [row.endswith(' of 6 |') for row in rows[1:]] == [True, True]
    assert 'video (downscaled to a 300-pixel short side' in table


def test_demo_speed_times_the_default_demo(repo_root, tmp_path):
    frames = read_frames(repo_root / VIDEO, 3)
    clip = tmp_path / 'clip.mp4'
    writer = cv2.VideoWriter(
        str(clip), cv2.VideoWriter_fourcc(*'mp4v'), 15,
        (frames[0].shape[1], frames[0].shape[0]))
    for frame in frames:
        writer.write(frame)
    writer.release()
    result = run_benchmark(repo_root, '--demo', '--video', str(clip),
                           '--demo-det-intervals', '1', '--out-dir',
                           str(tmp_path / 'out'))
    assert result.returncode == 0, result.stderr
    table = (tmp_path / 'out' / 'demo_speed.md').read_text()
    row = [line for line in table.splitlines() if line.startswith('| 1 |')]
    assert [r.split(' | ')[1:3]
            for r in row] == [['default (every 5th '
                               'frame)', '3'], ['--det-interval 1', '3']]


@pytest.mark.parametrize('args', [['--demo', 'model.onnx'],
                                  ['--demo', '--compare-detectors'], [],
                                  ['--demo', '--repeat', '0']])
def test_benchmark_modes_usage_errors(repo_root, tmp_path, args):
    result = run_benchmark(repo_root, *args, '--out-dir', str(tmp_path))
    assert result.returncode == 2
    assert result.stderr.startswith('error: ')
    assert len(result.stderr.strip().splitlines()) == 1
