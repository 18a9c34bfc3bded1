"""Make a test video from one real photo: a slow virtual-camera pan and
zoom over it, so that the same people stay in view for every frame.

    python tools/misc/make_pan_video.py IMAGE ANNOTATIONS OUT.mp4 \\
        [--frames 75] [--fps 15] [--size 480 360] [--zoom 1.4]

``ANNOTATIONS`` is the COCO-style JSON holding the photo's person boxes
(e.g. MMPose's ``tests/data/crowdpose/test_crowdpose.json``); they are
carried through the camera motion into ``OUT.json`` beside the video
(``frames[i].boxes``: one ``(x1, y1, x2, y2)`` per person, in annotation
order, for every frame; ``frames[i].keypoints``: each person's ``K`` keypoints
as ``[x, y, v]``, ``v`` the annotation's visibility, set to 0 where the
keypoint left the frame), so trackers can be scored on the video
(``tools/analysis_tools/track_eval.py``).

The camera: frame ``i`` of ``n`` (``s = i / (n - 1)``) shows the photo
zoomed by ``z(s) = 1 + (zoom - 1) * sin(pi * s)`` (in, then out), centred
between the photo's centre and the people's (the centre of their boxes'
union) with weight ``sin(pi * s)``, swaying sideways by
``SWAY * sin(2 * pi * s)`` of the room the zoom leaves, and kept inside
the photo. Frames are resampled bilinearly and written with OpenCV's
``mp4v`` codec.
"""
import argparse
import functools
import json
import math
import os.path as osp
import sys

import cv2
import numpy as np

from levitpose_lite.cli import ToolParser, run_tool
from levitpose_lite.errors import (InvalidInputError, UsageError, check_file,
                                   first_line)

#: Sideways sway of the camera, as a fraction of the room the zoom leaves.
SWAY = 0.5


def parse_args(argv=None) -> argparse.Namespace:
    parser = ToolParser(
        description='Pan and zoom over a photo to make a test video.')
    parser.add_argument('image', help='the photo')
    parser.add_argument(
        'annotations', help='COCO-style JSON with the photo\'s person boxes')
    parser.add_argument('out', help='output video (.mp4)')
    parser.add_argument('--frames', type=int, default=75)
    parser.add_argument('--fps', type=float, default=15.)
    parser.add_argument(
        '--size',
        type=int,
        nargs=2,
        default=(480, 360),
        metavar=('W', 'H'),
        help='output frame size')
    parser.add_argument(
        '--zoom', type=float, default=1.4, help='largest zoom (>= 1)')
    return parser.parse_args(argv)


def camera(i: int, n: int, zoom: float, width: int, height: int,
           focus: np.ndarray) -> np.ndarray:
    """The 2x3 matrix mapping photo pixels to frame pixels at frame ``i``
    (the frame size is that of the photo here; scale afterwards)."""
    s = i / max(n - 1, 1)
    z = 1 + (zoom - 1) * math.sin(math.pi * s)
    half = np.array([width, height]) / 2
    center = half + (focus - half) * math.sin(math.pi * s)
    center[0] += half[0] * (1 - 1 / z) * SWAY * math.sin(2 * math.pi * s)
    center = np.clip(center, half / z, 2 * half - half / z)
    return np.array([[z, 0, half[0] - z * center[0]],
                     [0, z, half[1] - z * center[1]]])


def person_boxes(annotations: str, image: str) -> tuple:
    """The ``(x1, y1, x2, y2)`` boxes of the photo's annotated persons and
    their keypoints ``(N, K, 3)`` (``x, y, v``)."""
    with open(annotations) as f:
        try:
            data = json.load(f)
        except json.JSONDecodeError as err:
            raise ValueError(f'{annotations} is not JSON: {err}') from err
    name = osp.basename(image)
    ids = [i['id'] for i in data['images'] if i['file_name'] == name]
    if not ids:
        raise ValueError(f'{annotations} has no image named {name}')
    people = [
        a for a in data['annotations']
        if a['image_id'] == ids[0] and a.get('num_keypoints', 1) > 0
    ]
    if not people:
        raise ValueError(f'{annotations} has no annotated person in {name}')
    boxes = [[x, y, x + w, y + h]
             for x, y, w, h in (a['bbox'] for a in people)]
    keypoints = [np.reshape(a['keypoints'], (-1, 3)) for a in people]
    return boxes, keypoints


def make_video(args: argparse.Namespace) -> None:
    """Write the video and its ground truth."""
    if args.frames < 2 or args.fps <= 0 or args.zoom < 1:
        raise UsageError('need --frames >= 2, --fps > 0 and --zoom >= 1')
    if min(args.size) < 1:
        raise UsageError(f'--size must be positive, got {args.size}')
    check_file(args.image, 'image')
    photo = cv2.imread(args.image)
    if photo is None:
        raise InvalidInputError(f'cannot read image {args.image}')
    check_file(args.annotations, 'annotations')
    try:
        boxes, keypoints = person_boxes(args.annotations, args.image)
        boxes, keypoints = np.array(boxes), np.array(keypoints, np.float64)
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise InvalidInputError(first_line(err)) from err
    height, width = photo.shape[:2]
    focus = np.concatenate([boxes[:, :2].min(0), boxes[:, 2:].max(0)])
    focus = (focus[:2] + focus[2:]) / 2
    out_w, out_h = args.size
    resize = np.diag([out_w / width, out_h / height, 1.])
    writer = cv2.VideoWriter(args.out, cv2.VideoWriter_fourcc(*'mp4v'),
                             args.fps, (out_w, out_h))
    if not writer.isOpened():
        raise InvalidInputError(f'cannot write {args.out}')
    frames = []
    for i in range(args.frames):
        matrix = (resize @ np.vstack([
            camera(i, args.frames, args.zoom, width, height, focus), [0, 0, 1]
        ]))[:2]
        writer.write(
            cv2.warpAffine(
                photo, matrix, (out_w, out_h), flags=cv2.INTER_LINEAR))
        corners = boxes.reshape(-1, 2) @ matrix[:, :2].T + matrix[:, 2]
        corners = corners.reshape(-1, 4)
        corners = np.clip(corners, 0, [out_w, out_h, out_w, out_h])
        points = keypoints[..., :2] @ matrix[:, :2].T + matrix[:, 2]
        inside = ((points >= 0) & (points < [out_w, out_h])).all(-1)
        visible = np.where(inside, keypoints[..., 2], 0)
        points = np.where(visible[..., None] > 0, np.round(points, 2), 0)
        frames.append(
            dict(
                frame_id=i,
                boxes=np.round(corners, 2).tolist(),
                keypoints=np.concatenate([points, visible[..., None]],
                                         -1).tolist()))
    writer.release()
    info = dict(
        source_image=osp.basename(args.image),
        made_by='tools/misc/make_pan_video.py',
        frames_count=args.frames,
        fps=args.fps,
        size=[out_w, out_h],
        zoom=args.zoom,
        frames=frames)
    with open(osp.splitext(args.out)[0] + '.json', 'w') as f:
        json.dump(info, f)
    print(f'{args.out}: {args.frames} frames of {out_w}x{out_h} at '
          f'{args.fps:g} fps, {len(boxes)} persons')


def main(argv=None) -> int:
    return run_tool(functools.partial(make_video, parse_args(argv)))


if __name__ == '__main__':
    sys.exit(main())
