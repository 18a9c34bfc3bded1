"""The fallback HOG person detector and the box NMS."""
import cv2
import numpy as np

from levitpose.demo_app import HOGPersonDetector, nms_boxes


def iou(a, b):
    w = max(0., min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0., min(a[3], b[3]) - max(a[1], b[1]))
    area = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1])
    return w * h / (area - w * h)


def test_hog_finds_the_standing_person(coco_sample):
    folder, boxes = coco_sample
    found, scores = HOGPersonDetector()(
        cv2.imread(str(folder / '000000197388.jpg')))
    gt = [[x, y, x + w, y + h] for x, y, w, h in boxes['000000197388.jpg']]
    assert len(found) >= 1
    assert max(iou(found[0], g) for g in gt) > 0.5
    assert ((scores > 0.5) & (scores < 1)).all()


def test_hog_threshold_drops_boxes(coco_sample):
    folder, _ = coco_sample
    img = cv2.imread(str(folder / '000000196141.jpg'))
    assert len(HOGPersonDetector(bbox_thr=0.3)(img)[0]) >= 1
    assert len(HOGPersonDetector(bbox_thr=0.999)(img)[0]) == 0


def test_hog_on_a_blank_image_finds_nobody():
    boxes, scores = HOGPersonDetector()(np.full((300, 200, 3), 127, np.uint8))
    assert boxes.shape == (0, 4) and scores.shape == (0, )


def test_nms_keeps_the_best_of_overlapping_boxes():
    boxes = np.array([[0, 0, 10, 10], [1, 1, 10, 10], [20, 20, 30, 30]],
                     np.float32)
    keep = nms_boxes(boxes, np.array([0.5, 0.9, 0.7], np.float32), 0.5)
    assert keep.tolist() == [1, 2]


def test_video_hog_finds_the_people_of_the_bundled_video(repo_root):
    """The video settings find a person on real frames of the CrowdPose
    pan (the boxes of its ground truth), in image pixels."""
    import json

    from levitpose.demo_app import VideoHOGPersonDetector
    video = repo_root / 'demo/resources/crowdpose_103319_pan.mp4'
    gt = json.loads(video.with_suffix('.json').read_text())['frames']
    capture = cv2.VideoCapture(str(video))
    hits = 0
    for index in range(0, 30):
        ok, frame = capture.read()
        assert ok
        if index % 10:
            continue
        found, scores = VideoHOGPersonDetector()(frame)
        assert found.shape[1:] == (4, ) and len(found) == len(scores)
        hits += any(
            iou(box, truth) > 0.3 for box in found
            for truth in gt[index]['boxes'])
    capture.release()
    assert hits >= 2


def test_video_hog_downscales_before_scanning(monkeypatch):
    from levitpose.demo_app import VideoHOGPersonDetector
    detector = VideoHOGPersonDetector()
    seen = []

    def detect(image, winStride, padding, scale):
        seen.append((image.shape[:2], winStride, scale))
        return np.array([[10, 20, 64, 128]]), np.array([[1.]])

    monkeypatch.setattr(
        detector, 'hog',
        type('H', (), dict(detectMultiScale=staticmethod(detect)))())
    boxes, _ = detector(np.zeros((720, 1280, 3), np.uint8))
    assert seen == [((300, 533), (8, 8), 1.05)]
    # boxes come back in the frame's pixels
    np.testing.assert_allclose(boxes, [[24, 48, 177.6, 355.2]], rtol=1e-3)
