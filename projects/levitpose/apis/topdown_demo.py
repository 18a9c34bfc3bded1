"""The top-down demo pipeline: detect people, estimate their keypoints,
draw them with MMPose's ``PoseLocalVisualizer`` (see
:class:`~levitpose.visualization.LEViTPoseVisualizer`) and save the results.

``demo/topdown_demo_with_mmdet.py`` is a thin command line over
:func:`run_topdown_demo`.
"""
import itertools
import os
import os.path as osp
import sys
import time
from dataclasses import dataclass
from typing import Callable, List, Optional, Tuple

import numpy as np

from .device import check_device
from .errors import InvalidInputError
from .inputs import InputSource, iter_video_frames, open_input, read_image
from .outputs import AtomicVideoWriter, write_image, write_json
from .person_detectors import HOGPersonDetector, MMDetPersonDetector
from .pose_model import init_pose_model

__all__ = ['DemoOptions', 'DemoResult', 'TopdownDemo', 'run_topdown_demo']

UNTRAINED_WARNING = (
    'no pose checkpoint given: the model runs with its initial (untrained) '
    'weights, so the keypoints are meaningless until a checkpoint is given '
    '(--pose-checkpoint)')
# tqdm's default shows s/frame below 1 frame/s; always show frames/second
PROGRESS_FORMAT = ('{desc}: {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} '
                   '[{elapsed}<{remaining}, {rate_noinv_fmt}]')
_visualizer_ids = itertools.count()


@dataclass
class DemoOptions:
    """Options of :func:`run_topdown_demo` (the demo's command line).

    Args:
        input (str): Image, folder of images, or video.
        pose_config (str): Pose model config.
        pose_checkpoint (str, optional): Its checkpoint; None keeps the
            initial weights (with a warning). Defaults to None.
        pose_checkpoint_note (str, optional): What to say about the
            checkpoint (e.g. what data it was trained on). Defaults to None.
        det_config (str, optional): MMDetection config; None uses the
            built-in HOG fallback. Defaults to None.
        det_checkpoint (str, optional): Its checkpoint. Defaults to None.
        output_root (str): Folder for drawn outputs and predictions.
            Defaults to ``'vis_results'``.
        save_predictions (bool): Also write MMPose's JSON. Defaults to False.
        show (bool): Show results in a window. Defaults to False.
        device (str): ``'cpu'`` or ``'cuda:N'``. Defaults to ``'cpu'``.
        det_cat_id (int): Person category of the detector. Defaults to 0.
        bbox_thr (float): Minimum box score. Defaults to 0.3.
        nms_thr (float): Box NMS IoU threshold. Defaults to 0.3.
        kpt_thr (float): Keypoints scoring lower are not drawn.
            Defaults to 0.3.
        draw_heatmap (bool): Draw predicted heatmaps. Defaults to False.
        draw_bbox (bool): Draw person boxes. Defaults to False.
        radius (int): Keypoint radius. Defaults to 3.
        thickness (int): Skeleton line width. Defaults to 1.
        alpha (float): Transparency of boxes. Defaults to 0.8.
    """
    input: str
    pose_config: str
    pose_checkpoint: Optional[str] = None
    pose_checkpoint_note: Optional[str] = None
    det_config: Optional[str] = None
    det_checkpoint: Optional[str] = None
    output_root: str = 'vis_results'
    save_predictions: bool = False
    show: bool = False
    device: str = 'cpu'
    det_cat_id: int = 0
    bbox_thr: float = 0.3
    nms_thr: float = 0.3
    kpt_thr: float = 0.3
    draw_heatmap: bool = False
    draw_bbox: bool = False
    radius: int = 3
    thickness: int = 1
    alpha: float = 0.8


@dataclass
class DemoResult:
    """What a run wrote.

    Args:
        outputs (list[str]): Drawn images or the drawn video.
        predictions (list[str]): JSON files (with ``save_predictions``).
        num_frames (int): Images or video frames processed.
        seconds (float): Wall time of the processing loop.
    """
    outputs: List[str]
    predictions: List[str]
    num_frames: int
    seconds: float


def _check_options(opts: DemoOptions) -> None:
    for name in ('bbox_thr', 'nms_thr', 'kpt_thr', 'alpha'):
        value = getattr(opts, name)
        if not 0. <= value <= 1.:
            raise InvalidInputError(
                f'--{name.replace("_", "-")} must be in [0, 1]; got {value}')
    for name in ('radius', 'thickness'):
        if getattr(opts, name) < 0:
            raise InvalidInputError(
                f'--{name} must be >= 0; got {getattr(opts, name)}')
    if opts.det_checkpoint is not None and opts.det_config is None:
        raise InvalidInputError('--det-checkpoint needs --det-config')
    if opts.show and sys.platform.startswith('linux') and not (
            os.environ.get('DISPLAY') or os.environ.get('WAYLAND_DISPLAY')):
        raise InvalidInputError(
            '--show needs a display, but neither DISPLAY nor WAYLAND_DISPLAY '
            'is set; drop --show and read the outputs in --output-root')


class TopdownDemo:
    """Detector + pose model + visualizer, built once, run per frame.

    Args:
        opts (DemoOptions): The options.
        log (Callable[[str], None]): Where progress lines go. Defaults to
            :func:`print`.
    """

    def __init__(self,
                 opts: DemoOptions,
                 log: Callable[[str], None] = print) -> None:
        from ..visualization import LEViTPoseVisualizer

        self.opts = opts
        self.log = log
        device = check_device(opts.device)
        if opts.det_config is None:
            self.detector = HOGPersonDetector(opts.bbox_thr, opts.nms_thr)
        else:
            self.detector = MMDetPersonDetector(opts.det_config,
                                                opts.det_checkpoint, device,
                                                opts.det_cat_id, opts.bbox_thr,
                                                opts.nms_thr)
        cfg_options = dict(model=dict(test_cfg=dict(
            output_heatmaps=True))) if opts.draw_heatmap else None
        self.model = init_pose_model(opts.pose_config, opts.pose_checkpoint,
                                     device, cfg_options)
        self.visualizer = LEViTPoseVisualizer(
            name=f'levitpose_demo_{next(_visualizer_ids)}',
            radius=opts.radius,
            line_width=opts.thickness,
            alpha=opts.alpha)
        self.visualizer.set_dataset_meta(self.model.dataset_meta)
        fallback = (' (the built-in offline fallback: it misses many '
                    'people; pass --det-config and --det-checkpoint for an '
                    'MMDetection detector)') if self.detector.is_fallback \
            else ''
        log(f'person detector: {self.detector.name}{fallback}')
        log(f'pose model: {opts.pose_config}')
        if opts.pose_checkpoint is None:
            self.weights = 'initial (untrained): keypoints are meaningless'
            print(f'warning: {UNTRAINED_WARNING}', file=sys.stderr)
        else:
            self.weights = opts.pose_checkpoint + (
                f' ({opts.pose_checkpoint_note})'
                if opts.pose_checkpoint_note else '')
            log(f'pose checkpoint: {self.weights}')

    def estimate(self, img: np.ndarray) -> Tuple[object, bool]:
        """Detect people in a BGR image and estimate their keypoints.

        If the detector finds nobody, the whole image is used as one box
        with ``bbox_score`` 0 (MMPose's ``inference_topdown`` does the same
        with score 1; 0 marks that no detector found it).

        Returns:
            tuple[PoseDataSample, bool]: The merged prediction and whether
            the whole image was used.
        """
        from mmpose.apis import inference_topdown
        from mmpose.structures import merge_data_samples

        boxes, scores = self.detector(img)
        whole_image = len(boxes) == 0
        if whole_image:
            height, width = img.shape[:2]
            boxes = np.array([[0, 0, width, height]], np.float32)
            scores = np.zeros(1, np.float32)
        sample = merge_data_samples(inference_topdown(self.model, img, boxes))
        sample.pred_instances.bbox_scores = scores
        return sample, whole_image

    def draw(self, img: np.ndarray, sample) -> np.ndarray:
        """Draw a prediction on a BGR image; returns a BGR image."""
        self.visualizer.add_datasample(
            'result',
            np.ascontiguousarray(img[..., ::-1]),
            data_sample=sample,
            draw_gt=False,
            draw_heatmap=self.opts.draw_heatmap,
            draw_bbox=self.opts.draw_bbox,
            skeleton_style='mmpose',
            show=False,
            kpt_thr=self.opts.kpt_thr)
        return np.ascontiguousarray(self.visualizer.get_image()[..., ::-1])

    def show(self, drawn: np.ndarray, wait_ms: int) -> None:
        import cv2
        cv2.imshow('LEViTPose demo', drawn)
        cv2.waitKey(wait_ms)

    def predictions(self, instance_info, no_person: list) -> dict:
        """MMPose's prediction JSON, plus ``demo_info`` on how it was made.
        """
        return dict(
            meta_info=self.model.dataset_meta,
            instance_info=instance_info,
            demo_info=dict(
                pose_config=self.opts.pose_config,
                pose_weights=self.weights,
                untrained=self.opts.pose_checkpoint is None,
                detector=self.detector.name,
                detector_is_fallback=self.detector.is_fallback,
                whole_image_box_used_for=no_person))


def _output_paths(opts: DemoOptions, path: str) -> Tuple[str, str]:
    name = osp.basename(path)
    out = osp.join(opts.output_root, name)
    if osp.abspath(out) == osp.abspath(path):
        raise InvalidInputError(
            f'--output-root {opts.output_root} would overwrite the input '
            f'{path}; choose another folder')
    return out, osp.join(opts.output_root,
                         f'results_{osp.splitext(name)[0]}.json')


def _run_images(demo: TopdownDemo, source: InputSource) -> DemoResult:
    from mmpose.structures import split_instances

    opts, result = demo.opts, DemoResult([], [], 0, 0.)
    start = time.perf_counter()
    for path in source.images:
        out, pred = _output_paths(opts, path)
        img = read_image(path)
        sample, whole = demo.estimate(img)
        people = len(sample.pred_instances)
        if whole:
            demo.log(f'{path}: the detector found no person; estimated one '
                     'pose in the whole image instead')
        else:
            demo.log(f'{path}: {people} person(s)')
        drawn = demo.draw(img, sample)
        write_image(out, drawn)
        result.outputs.append(out)
        if opts.save_predictions:
            write_json(
                pred,
                demo.predictions(
                    split_instances(sample.pred_instances),
                    [osp.basename(path)] if whole else []))
            result.predictions.append(pred)
        if opts.show:
            demo.show(drawn, 0)
        result.num_frames += 1
    result.seconds = time.perf_counter() - start
    return result


def _run_video(demo: TopdownDemo, source: InputSource) -> DemoResult:
    from mmpose.structures import split_instances
    from tqdm import tqdm

    opts = demo.opts
    out, pred = _output_paths(opts, source.path)
    instance_info, no_person = [], []
    start = time.perf_counter()
    with AtomicVideoWriter(out, source.fps) as writer, tqdm(
            total=source.num_frames or None,
            unit='frame',
            desc='video',
            bar_format=PROGRESS_FORMAT) as bar:
        for frame_id, frame in enumerate(iter_video_frames(source.path)):
            sample, whole = demo.estimate(frame)
            if whole:
                no_person.append(frame_id)
            drawn = demo.draw(frame, sample)
            writer.write(drawn)
            instance_info.append(
                dict(
                    frame_id=frame_id,
                    instances=split_instances(sample.pred_instances)))
            if opts.show:
                demo.show(drawn, 1)
            bar.update()
    seconds = time.perf_counter() - start
    if no_person:
        demo.log(f'the detector found no person in {len(no_person)} of '
                 f'{len(instance_info)} frames; those frames use the whole '
                 'image as one box')
    result = DemoResult([out], [], len(instance_info), seconds)
    if opts.save_predictions:
        write_json(pred, demo.predictions(instance_info, no_person))
        result.predictions.append(pred)
    return result


def run_topdown_demo(opts: DemoOptions,
                     log: Callable[[str], None] = print) -> DemoResult:
    """Run the demo: validate everything, build the models, process the
    input, write the outputs atomically.

    Args:
        opts (DemoOptions): The options.
        log (Callable[[str], None]): Where progress lines go. Defaults to
            :func:`print`.

    Returns:
        DemoResult: Paths written, frames processed and time taken.

    Raises:
        InvalidInputError: For any bad input (message names it).
    """
    _check_options(opts)
    source = open_input(opts.input)
    for path in source.images or [source.path]:
        _output_paths(opts, path)  # refuse to overwrite an input early
    demo = TopdownDemo(opts, log)
    os.makedirs(opts.output_root, exist_ok=True)
    if source.kind == 'video':
        result = _run_video(demo, source)
    else:
        result = _run_images(demo, source)
    fps = result.num_frames / result.seconds if result.seconds else 0.
    unit = 'frame' if source.kind == 'video' else 'image'
    log(f'processed {result.num_frames} {unit}(s) in '
        f'{result.seconds:.2f} s ({fps:.2f} per second); outputs in '
        f'{opts.output_root}')
    return result
