"""demo/topdown_demo_with_mmdet.py run as a subprocess on real data."""
import json
import re
import shutil

import cv2
import numpy as np
import pytest

from .conftest import run_demo

IMAGE = 'demo/resources/coco_000000000785.jpg'
DEFAULT_CHECKPOINT = 'checkpoints/levitpose-t_sample-coco-256x256.pth'
DEMO_IMAGES = [
    'coco_000000000785.jpg', 'coco_000000040083.jpg', 'coco_000000197388.jpg'
]


def _demo_saving_predictions(image, repo_root, out):
    """``(process, out)``: the demo with its defaults on ``image``."""
    proc = run_demo(
        '--input',
        image,
        '--output-root',
        out,
        '--save-predictions',
        cwd=repo_root)
    return proc, out


@pytest.fixture(scope='module')
def image_run(repo_root, tmp_path_factory):
    """The README's demo command: defaults, fallback detector."""
    return _demo_saving_predictions(IMAGE, repo_root,
                                    tmp_path_factory.mktemp('image'))


@pytest.fixture(scope='module')
def blank_run(repo_root, tmp_path_factory):
    """An image with nobody in it: the whole-image fallback box."""
    folder = tmp_path_factory.mktemp('blank')
    blank = np.full((240, 320, 3), 128, np.uint8)
    cv2.imwrite(str(folder / 'blank.png'), blank)
    return _demo_saving_predictions(folder / 'blank.png', repo_root,
                                    tmp_path_factory.mktemp('blank_out'))


@pytest.fixture(scope='module')
def folder_run(repo_root, tiny_detector, tmp_path_factory):
    """Positional detector + pose config, a folder of images."""
    folder = tmp_path_factory.mktemp('inputs')
    for name in DEMO_IMAGES:
        shutil.copy(repo_root / 'demo' / 'resources' / name, folder)
    out = tmp_path_factory.mktemp('folder')
    det_config, det_checkpoint = tiny_detector
    pose_config = repo_root / 'configs' / 'body_2d_keypoint' / \
        'topdown_heatmap' / 'coco' / \
        'td-hm_levitpose-t_8xb64-210e_coco-256x256.py'
    proc = run_demo(
        det_config,
        det_checkpoint,
        pose_config,
        '--input',
        folder,
        '--output-root',
        out,
        '--save-predictions',
        '--bbox-thr',
        '0',
        '--kpt-thr',
        '0',
        '--draw-bbox',
        cwd=repo_root)
    return proc, folder, out


@pytest.fixture(scope='module')
def video_run(repo_root, sample_video, tmp_path_factory):
    out = tmp_path_factory.mktemp('video')
    proc = run_demo(
        '--input',
        sample_video,
        '--output-root',
        out,
        '--save-predictions',
        cwd=repo_root)
    return proc, out


def check_instance(instance, num_keypoints=17):
    assert np.array(instance['keypoints']).shape == (num_keypoints, 2)
    assert np.array(instance['keypoint_scores']).shape == (num_keypoints, )
    assert np.array(instance['bbox']).shape == (1, 4)  # as MMPose writes
    assert isinstance(instance['bbox_score'], float)


def test_image_run_succeeds(image_run):
    proc, _ = image_run
    assert proc.returncode == 0, proc.stderr


def test_image_run_says_which_detector_ran(image_run):
    stdout = image_run[0].stdout
    assert 'person detector: OpenCV HOG people detector' in stdout
    assert 'fallback' in stdout


def test_image_run_finds_the_skier(image_run, repo_root):
    """The best HOG box lies on the annotated skier (real COCO label)."""
    proc, out = image_run
    assert re.search(r'coco_000000000785\.jpg: \d+ person\(s\)',
                     proc.stdout), proc.stdout
    preds = json.loads((out / 'results_coco_000000000785.json').read_text())
    best = max(preds['instance_info'], key=lambda i: i['bbox_score'])
    x1, y1, x2, y2 = best['bbox'][0]
    ann = json.loads((repo_root / 'data/sample-coco/annotations/'
                      'person_keypoints_sample.json').read_text())
    gx, gy, gw, gh = next(a['bbox'] for a in ann['annotations']
                          if a['image_id'] == 785 and a['num_keypoints'])
    cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
    assert gx <= cx <= gx + gw and gy <= cy <= gy + gh


def test_image_run_predictions_follow_mmpose_schema(image_run):
    _, out = image_run
    preds = json.loads((out / 'results_coco_000000000785.json').read_text())
    assert preds['meta_info']['num_keypoints'] == 17
    assert len(preds['instance_info']) >= 1
    for instance in preds['instance_info']:
        check_instance(instance)
        assert instance['bbox_score'] > 0.


def test_nobody_found_falls_back_to_the_whole_image(blank_run):
    proc, out = blank_run
    assert proc.returncode == 0, proc.stderr
    assert 'found no person' in proc.stdout
    preds = json.loads((out / 'results_blank.json').read_text())
    assert len(preds['instance_info']) == 1
    check_instance(preds['instance_info'][0])
    assert preds['instance_info'][0]['bbox'] == [[0., 0., 320., 240.]]
    assert preds['instance_info'][0]['bbox_score'] == 0.


def test_image_run_marks_untrained_weights(image_run, repo_root):
    proc, out = image_run
    preds = json.loads((out / 'results_coco_000000000785.json').read_text())
    shipped = (repo_root / DEFAULT_CHECKPOINT).is_file()
    assert preds['demo_info']['untrained'] is (not shipped)
    if shipped:
        assert 'trained only on the 4' in proc.stdout
    else:
        assert proc.stderr.count('keypoints are meaningless') == 1


def count_drawn_pixels(drawn, original):
    """Pixels changed by far more than JPEG re-encoding changes them."""
    assert drawn.shape == original.shape
    return (np.abs(drawn.astype(int) - original).max(axis=2) > 100).sum()


def test_image_run_draws_the_image(image_run, repo_root):
    _, out = image_run
    drawn = cv2.imread(str(out / 'coco_000000000785.jpg'))
    original = cv2.imread(str(repo_root / IMAGE))
    if (repo_root / DEFAULT_CHECKPOINT).is_file():
        assert count_drawn_pixels(drawn, original) > 50
    else:  # untrained keypoints score below --kpt-thr: nothing is drawn
        assert drawn.shape == original.shape


def test_image_run_leaves_only_complete_files(image_run):
    names = sorted(p.name for p in image_run[1].iterdir())
    assert names == ['coco_000000000785.jpg', 'results_coco_000000000785.json']


@pytest.mark.slow
def test_folder_run_uses_the_mmdet_detector(folder_run):
    proc, _, _ = folder_run
    assert proc.returncode == 0, proc.stderr
    assert 'person detector: MMDetection model' in proc.stdout
    assert 'fallback' not in proc.stdout


@pytest.mark.slow
def test_folder_run_writes_every_image(folder_run):
    _, folder, out = folder_run
    for name in DEMO_IMAGES:
        drawn = cv2.imread(str(out / name))
        assert count_drawn_pixels(drawn, cv2.imread(str(folder / name))) > 50
        preds = json.loads((out / f'results_{name[:-4]}.json').read_text())
        assert len(preds['instance_info']) >= 1  # score threshold 0
        for instance in preds['instance_info']:
            check_instance(instance)
        assert preds['demo_info']['detector_is_fallback'] is False


@pytest.mark.slow
def test_video_run_writes_a_video_with_every_frame(video_run):
    proc, out = video_run
    assert proc.returncode == 0, proc.stderr
    capture = cv2.VideoCapture(str(out / 'demo.mp4'))
    assert int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) == 5
    assert (int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)),
            int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT))) == (960, 540)
    assert sorted(p.name
                  for p in out.iterdir()) == ['demo.mp4', 'results_demo.json']


@pytest.mark.slow
def test_video_run_predictions_have_one_entry_per_frame(video_run):
    _, out = video_run
    preds = json.loads((out / 'results_demo.json').read_text())
    assert [f['frame_id'] for f in preds['instance_info']] == [0, 1, 2, 3, 4]
    for frame in preds['instance_info']:
        for instance in frame['instances']:
            check_instance(instance)


@pytest.mark.slow
def test_video_run_shows_progress_with_frame_rate(video_run):
    stderr = video_run[0].stderr
    assert re.search(r'5/5 \[[0-9:]+<[0-9:]+, *[0-9.]+frame/s\]', stderr)


def test_draw_heatmap_stacks_heatmaps_under_the_image(repo_root, tmp_path):
    name = 'coco_000000197388.jpg'
    proc = run_demo(
        '--input',
        f'demo/resources/{name}',
        '--output-root',
        tmp_path,
        '--draw-heatmap',
        '--draw-bbox',
        '--radius',
        '5',
        '--thickness',
        '2',
        '--alpha',
        '0.5',
        cwd=repo_root)
    assert proc.returncode == 0, proc.stderr
    height, width = cv2.imread(str(repo_root / 'demo' / 'resources' /
                                   name)).shape[:2]
    assert cv2.imread(str(tmp_path / name)).shape == (2 * height, width, 3)
