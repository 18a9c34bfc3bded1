"""Checks of COCO/MPII keypoint annotation files, run before training.

MMPose parses annotations lazily and trustingly: a missing key is a
``KeyError`` deep in ``parse_data_info`` (or the instance is silently
dropped when ``bbox``/``keypoints`` is absent), a keypoint list of the wrong
length fails in a ``reshape`` or misaligns joints, a box of zero size
yields a degenerate crop, and a missing image fails in ``LoadImage`` hours
into an epoch. These functions report every such problem with the
annotation (or image) id, and :func:`raise_if_problems` turns them into one
:class:`AnnotationError` naming the file.
"""
import json
import math
import numbers
import os.path as osp
from typing import Any, Dict, List, Optional, Sequence, Tuple

from levitpose.utils.errors import InvalidInputError

__all__ = [
    'AnnotationError', 'load_annotation_json', 'check_coco_annotations',
    'check_mpii_annotations', 'raise_if_problems'
]

COCO_IMAGE_KEYS = ('id', 'file_name', 'width', 'height')
COCO_ANNOTATION_KEYS = ('id', 'image_id', 'category_id', 'bbox', 'keypoints')
MPII_KEYS = ('image', 'center', 'scale', 'joints', 'joints_vis')
VISIBILITY_FLAGS = (0, 1, 2)  # COCO: not labelled, occluded, visible
MAX_LISTED = 10  # problems listed in the message; the rest are counted


class AnnotationError(InvalidInputError):
    """An annotation file has problems that would break or bias training."""


def _is_number(value: Any) -> bool:
    """A finite real number (bools, NaN and infinities are not)."""
    return (isinstance(value, numbers.Real) and not isinstance(value, bool)
            and math.isfinite(value))


def _is_id(value: Any) -> bool:
    """An id COCO tools can index by: an int or a str."""
    return isinstance(value, (int, str)) and not isinstance(value, bool)


def _numbers(value: Any, length: int) -> bool:
    """Whether ``value`` is a list of ``length`` real numbers."""
    return (isinstance(value, (list, tuple)) and len(value) == length
            and all(_is_number(v) for v in value))


def _locate(kind: str, index: int, entry: Any,
            keys: Sequence[str]) -> Tuple[str, Optional[str]]:
    """How to name an entry (by its id if it has one, else its position)
    and what :func:`_missing` says about its ``keys``."""
    where = f'{kind} #{index}'
    if isinstance(entry, dict) and 'id' in entry:
        where = f'{kind} id {entry["id"]}'
    return where, _missing(entry, keys)


def _missing(entry: Any, keys: Sequence[str]) -> Optional[str]:
    if not isinstance(entry, dict):
        return f'is a {type(entry).__name__}, expected an object'
    missing = [key for key in keys if key not in entry]
    return f'missing key(s) {missing}' if missing else None


def load_annotation_json(ann_file: str) -> Any:
    """Read an annotation file, with errors that name it.

    Args:
        ann_file (str): Path of a JSON annotation file.

    Returns:
        Any: The parsed JSON.

    Raises:
        AnnotationError: If the file is missing or not valid JSON.
    """
    if not osp.isfile(ann_file):
        raise AnnotationError(f'{ann_file}: annotation file does not exist')
    try:
        with open(ann_file, encoding='utf-8') as f:
            return json.load(f)
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise AnnotationError(f'{ann_file}: not valid JSON ({err})') from None


def _check_image_file(img_root: Optional[str], name: str) -> Optional[str]:
    if img_root is None:
        return None
    path = osp.join(img_root, name)
    return None if osp.isfile(path) else f'image file {path} does not exist'


def check_coco_annotations(data: Any,
                           num_keypoints: int,
                           img_root: Optional[str] = None) -> List[str]:
    """Problems in a COCO keypoint annotation dict.

    Args:
        data (Any): The parsed JSON of the annotation file.
        num_keypoints (int): Keypoints per instance (17 for COCO).
        img_root (str, optional): Folder that ``file_name`` is relative to;
            None skips the image-existence check. Defaults to None.

    Returns:
        list[str]: One line per problem, each naming the image or
        annotation id; empty if the file is fine.
    """
    if not isinstance(data, dict):
        return [
            f'top level is a {type(data).__name__}, expected an object '
            'with "images" and "annotations"'
        ]
    problems = [
        f'top-level "{key}" must be a list'
        if key in data else f'missing top-level key "{key}"'
        for key in ('images', 'annotations')
        if not isinstance(data.get(key), list)
    ]
    if problems:
        return problems
    images: Dict[Any, dict] = {}
    for index, img in enumerate(data['images']):
        where, error = _locate('image', index, img, COCO_IMAGE_KEYS)
        if error:
            problems.append(f'{where}: {error}')
            continue
        if not _is_id(img['id']):
            problems.append(f'{where}: "id" must be an int or a str')
            continue
        if not isinstance(img['file_name'], str):
            problems.append(f'{where}: "file_name" must be a str')
            continue
        images[img['id']] = img
        if not (_is_number(img['width']) and _is_number(img['height'])
                and img['width'] > 0 and img['height'] > 0):
            problems.append(f'{where}: width/height must be positive, got '
                            f'{img["width"]!r}x{img["height"]!r}')
    used_images = set()
    for index, ann in enumerate(data['annotations']):
        where, error = _locate('annotation', index, ann, COCO_ANNOTATION_KEYS)
        if error:
            problems.append(f'{where}: {error}')
            continue
        if not _is_id(ann['image_id']) or ann['image_id'] not in images:
            problems.append(
                f'{where}: image_id {ann["image_id"]!r} is not in "images"')
        else:
            used_images.add(ann['image_id'])
        kpts = ann['keypoints']
        if not _numbers(kpts, 3 * num_keypoints):
            length = len(kpts) if isinstance(kpts, (list, tuple)) else '?'
            problems.append(
                f'{where}: "keypoints" must be {3 * num_keypoints} numbers '
                f'({num_keypoints} x [x, y, v]), got {length} values')
        elif any(v not in VISIBILITY_FLAGS for v in kpts[2::3]):
            problems.append(f'{where}: keypoint visibility flags must be in '
                            f'{VISIBILITY_FLAGS}, got {kpts[2::3]}')
        box = ann['bbox']
        if not _numbers(box, 4):
            problems.append(
                f'{where}: "bbox" must be 4 numbers [x, y, w, h], got {box!r}')
        elif box[2] <= 0 or box[3] <= 0:
            problems.append(f'{where}: bbox {box} has non-positive width or '
                            'height')
    for img_id in sorted(used_images, key=str):
        error = _check_image_file(img_root, images[img_id]['file_name'])
        if error:
            problems.append(f'image id {img_id}: {error}')
    return problems


def check_mpii_annotations(data: Any,
                           num_keypoints: int,
                           img_root: Optional[str] = None) -> List[str]:
    """Problems in an MMPose-format MPII annotation list.

    Arguments and result as :func:`check_coco_annotations`, with
    ``num_keypoints`` the joints per person (16 for MPII) and ``img_root``
    the folder each entry's ``image`` is relative to. The annotation id is
    the entry's index, as ``MpiiDataset`` assigns it.
    """
    if not isinstance(data, list):
        return [
            f'top level is a {type(data).__name__}, expected a list of '
            'person annotations'
        ]
    problems = []
    for index, ann in enumerate(data):
        where = f'annotation id {index}'
        error = _missing(ann, MPII_KEYS)
        if error:
            problems.append(f'{where}: {error}')
            continue
        image = ann['image']
        if not (isinstance(image, str)
                and osp.splitext(osp.basename(image))[0].isdigit()):
            problems.append(
                f'{where}: "image" must be a file name with a numeric stem '
                f'(e.g. 015601864.jpg), got {image!r}')
            image = None
        joints = ann['joints']
        if not (isinstance(joints, list) and len(joints) == num_keypoints
                and all(_numbers(j, 2) for j in joints)):
            length = len(joints) if isinstance(joints, list) else '?'
            problems.append(
                f'{where}: "joints" must be {num_keypoints} [x, y] pairs, '
                f'got {length} entries')
        if not _numbers(ann['joints_vis'], num_keypoints):
            problems.append(f'{where}: "joints_vis" must be {num_keypoints} '
                            'numbers')
        if not _numbers(ann['center'], 2):
            problems.append(f'{where}: "center" must be [x, y], got '
                            f'{ann["center"]!r}')
        scale = ann['scale']
        if not (_is_number(scale) and scale > 0):
            problems.append(f'{where}: "scale" (box size / 200) must be '
                            f'positive, got {scale!r}')
        error = image and _check_image_file(img_root, image)
        if error:
            problems.append(f'{where}: {error}')
    return problems


def raise_if_problems(ann_file: str, problems: List[str]) -> None:
    """Raise one :class:`AnnotationError` listing ``problems``.

    Args:
        ann_file (str): The file the problems are in.
        problems (list[str]): From a ``check_*_annotations`` function.

    Raises:
        AnnotationError: If ``problems`` is not empty.
    """
    if not problems:
        return
    listed = problems[:MAX_LISTED]
    more = len(problems) - len(listed)
    text = '; '.join(listed) + (f'; ... and {more} more' if more else '')
    raise AnnotationError(
        f'{ann_file}: {len(problems)} annotation problem(s): {text}')
