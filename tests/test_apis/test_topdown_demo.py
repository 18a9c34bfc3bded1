"""levitpose.apis.topdown_demo: output handling, without building models."""
import shutil
from types import SimpleNamespace

import pytest

from levitpose.apis import DemoOptions, InvalidInputError, run_topdown_demo
from levitpose.apis.inputs import open_input
from levitpose.apis.topdown_demo import _run_video


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


def test_interrupted_video_leaves_no_file(sample_video, tmp_path):
    opts = DemoOptions(
        input=str(sample_video),
        pose_config='unused.py',
        output_root=str(tmp_path),
        save_predictions=True)
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
    with pytest.raises(InvalidInputError, match='would overwrite the input'):
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
    with pytest.raises(InvalidInputError, match=option.split('_')[0]):
        run_topdown_demo(opts)
