"""``tools/analysis_tools/video_benchmark.py``: tracked video pose speed and
id switches, the demo's speed, the HOG settings compared, and one-line
errors."""
import cv2
import pytest
from tiny_detector import export_tiny_rtmdet
from tool_runner import python_tool

from levitpose_lite.video import read_frames

TOOL = 'tools/analysis_tools/video_benchmark.py'
VIDEO = 'demo/resources/crowdpose_103319_pan.mp4'


@pytest.fixture(scope='module')
def tiny_rtmdet_onnx(tmp_path_factory):
    path = str(tmp_path_factory.mktemp('det') / 'tiny_rtmdet.onnx')
    export_tiny_rtmdet(path)
    return path


def test_video_benchmark_writes_table_and_plot(levitpose_t_coco,
                                               tiny_rtmdet_onnx, tmp_path):
    result = python_tool(TOOL, levitpose_t_coco[2], '--video', VIDEO,
                         '--det-onnx', tiny_rtmdet_onnx, '--max-frames', '3',
                         '--intervals', '1', '2', '--out-dir', str(tmp_path))
    assert result.returncode == 0, result.stderr
    table = (tmp_path / 'video_benchmark.md').read_text()
    rows = [line for line in table.splitlines() if line.startswith('| every')]
    assert len(rows) == 4
    assert '| every frame | batched |' in table
    assert '| every 2 frames | one per person |' in table
    assert 'id switches' in table
    assert (tmp_path / 'video_benchmark.png').stat().st_size > 0


@pytest.mark.parametrize('video, message', [
    ('{tmp}/none.mp4', 'video {tmp}/none.mp4 does not exist'),
    ('{tmp}', 'video {tmp} is a folder, not a file'),
    ('{tmp}/junk.mp4', 'cannot read video {tmp}/junk.mp4: OpenCV could not '
     'decode any frame'),
])
def test_video_benchmark_bad_video_is_a_one_line_error(levitpose_t_coco,
                                                       tmp_path, video,
                                                       message):
    (tmp_path / 'junk.mp4').write_bytes(b'\x00' * 4096)
    result = python_tool(TOOL, levitpose_t_coco[2], '--video',
                         video.format(tmp=tmp_path), '--out-dir',
                         str(tmp_path / 'out'))
    assert result.returncode == 1
    assert result.stderr.startswith('error: ' + message.format(tmp=tmp_path))
    assert len(result.stderr.strip().splitlines()) == 1


def test_compare_detectors_counts_true_people(tmp_path):
    result = python_tool(TOOL, '--compare-detectors', '--video', VIDEO,
                         '--max-frames', '11', '--every', '5', '--out-dir',
                         str(tmp_path))
    assert result.returncode == 0, result.stderr
    table = (tmp_path / 'detectors.md').read_text()
    rows = [line for line in table.splitlines() if line.startswith('| ')]
    assert rows[0].startswith('| settings | ms/frame | true people found')
    # 3 frames (0, 5, 10) of 2 people each, for both settings
    assert [row.endswith(' of 6 |') for row in rows[1:]] == [True, True]
    assert 'video (downscaled to a 300-pixel short side' in table


def test_demo_speed_times_the_default_demo(repo_root, tmp_path):
    frames, _ = read_frames(str(repo_root / VIDEO), 3)
    clip = tmp_path / 'clip.mp4'
    writer = cv2.VideoWriter(
        str(clip), cv2.VideoWriter_fourcc(*'mp4v'), 15,
        (frames[0].shape[1], frames[0].shape[0]))
    for frame in frames:
        writer.write(frame)
    writer.release()
    result = python_tool(TOOL, '--demo', '--video', str(clip),
                         '--demo-det-intervals', '1', '--out-dir',
                         str(tmp_path / 'out'))
    assert result.returncode == 0, result.stderr
    table = (tmp_path / 'out' / 'demo_speed.md').read_text()
    row = [line for line in table.splitlines() if line.startswith('| 1 |')]
    assert [r.split(' | ')[1:3]
            for r in row] == [['default (every 5th '
                               'frame)', '3'], ['--det-interval 1', '3']]


@pytest.mark.parametrize('args',
                         [['--demo', 'model.onnx'],
                          ['--demo', '--compare-detectors'], [],
                          ['--demo', '--repeat', '0'],
                          ['--demo', '--demo-det-intervals', '2', '0']])
def test_benchmark_modes_usage_errors(tmp_path, args):
    result = python_tool(TOOL, *args, '--out-dir', str(tmp_path))
    assert result.returncode == 2
    assert result.stderr.startswith('error: ')
    assert len(result.stderr.strip().splitlines()) == 1
