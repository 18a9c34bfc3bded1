"""levitpose.demo_app: options, output handling and the loop over the
input, with a stand-in for the models."""
import argparse
import dataclasses
import shutil
from types import SimpleNamespace

import pytest

from levitpose.demo_app import (DemoOptions, add_demo_arguments, open_input,
                                options_from_args, run_topdown_demo)
from levitpose.demo_app.app import _run_images, _run_video
from levitpose.utils import UsageError


class InterruptingDemo:
    """Stands in for TopdownDemo; the user presses Ctrl+C at frame 2."""

    def __init__(self, opts):
        self.opts = opts
        self.frames = 0

    def estimate(self, frame):
        self.frames += 1
        if self.frames == 3:
            raise KeyboardInterrupt
        return SimpleNamespace(pred_instances=None), False

    def draw(self, frame, sample):
        return frame

    def log(self, line):
        pass


class CountingDemo:
    """Stands in for TopdownDemo: one 'person' per image, drawn as is."""

    def __init__(self, opts):
        self.opts = opts
        self.seen = []

    def estimate(self, frame):
        self.seen.append(frame.shape)
        return SimpleNamespace(pred_instances=[0]), False

    def draw(self, frame, sample):
        return frame

    def log(self, line):
        pass


def test_interrupted_video_leaves_no_file(sample_video, tmp_path):
    opts = DemoOptions(
        input=str(sample_video),
        pose_config='unused.py',
        output_root=str(tmp_path),
        save_predictions=True,
        no_track=True)  # the per-frame path, which calls estimate()
    demo = InterruptingDemo(opts)
    with pytest.raises(KeyboardInterrupt):
        _run_video(demo, open_input(str(sample_video)))
    assert demo.frames == 3
    assert list(tmp_path.iterdir()) == []


def test_output_root_that_would_overwrite_input_is_refused(
        repo_root, tmp_path):
    image = tmp_path / 'a.jpg'
    original = repo_root / 'demo' / 'resources' / 'coco_000000000785.jpg'
    shutil.copy(original, image)
    opts = DemoOptions(
        input=str(image), pose_config='unused.py', output_root=str(tmp_path))
    with pytest.raises(UsageError, match='would overwrite the input'):
        run_topdown_demo(opts)
    assert image.read_bytes() == original.read_bytes()


@pytest.mark.parametrize('option,value', [('bbox_thr', 1.5), ('nms_thr', -0.1),
                                          ('alpha', 2.), ('radius', -1)])
def test_out_of_range_option_is_refused(repo_root, tmp_path, option, value):
    opts = DemoOptions(
        input='demo/resources/coco_000000000785.jpg',
        pose_config='unused.py',
        output_root=str(tmp_path),
        **{option: value})
    with pytest.raises(UsageError, match=option.split('_')[0]):
        run_topdown_demo(opts)


def test_output_root_that_is_a_file_is_refused(tmp_path):
    existing = tmp_path / 'taken'
    existing.write_text('a file')
    opts = DemoOptions(
        input='demo/resources/coco_000000000785.jpg',
        pose_config='unused.py',
        output_root=str(existing))
    with pytest.raises(UsageError, match='is a file, not a folder'):
        run_topdown_demo(opts)
    assert existing.read_text() == 'a file'


def _parser():
    parser = argparse.ArgumentParser()
    add_demo_arguments(parser)
    return parser


def test_every_command_line_option_is_a_field_and_back():
    parser = _parser()
    flags = {
        a.dest
        for a in parser._actions if a.option_strings and a.dest != 'help'
    }
    fields = {
        f.name
        for f in dataclasses.fields(DemoOptions) if f.metadata['cli']
    }
    assert flags == fields
    args = parser.parse_args([
        'det.py', 'det.pth', '--input', 'x.jpg', '--kpt-thr', '0.5',
        '--draw-bbox', '--radius', '7'
    ])
    opts = options_from_args(args)
    assert opts == DemoOptions(
        input='x.jpg',
        det_config='det.py',
        det_checkpoint='det.pth',
        kpt_thr=0.5,
        draw_bbox=True,
        radius=7)


def test_a_model_given_twice_differently_is_a_usage_error():
    args = _parser().parse_args(
        ['a.py', 'a.pth', '--input', 'x.jpg', '--det-config', 'b.py'])
    with pytest.raises(UsageError, match='det_config given twice'):
        options_from_args(args)


def test_folder_run_processes_every_readable_image(repo_root, tmp_path):
    folder, out = tmp_path / 'in', tmp_path / 'out'
    folder.mkdir()
    out.mkdir()
    for name in ('a.jpg', 'c.jpg'):
        shutil.copy(repo_root / 'demo/resources/coco_000000000785.jpg',
                    folder / name)
    (folder / 'b.jpg').write_bytes(b'\xff\xd8 truncated')
    demo = CountingDemo(
        DemoOptions(
            input=str(folder), pose_config='unused.py', output_root=str(out)))
    result = _run_images(demo, open_input(str(folder)))
    assert sorted(p.name for p in out.iterdir()) == ['a.jpg', 'c.jpg']
    assert result.num_frames == 2 and len(demo.seen) == 2
    assert result.unreadable == [str(folder / 'b.jpg')]
