"""MMPose's train/test argument sets, merged as MMPose merges them."""
import pytest
from mmengine.config import Config

from levitpose.cli import (ToolParser, add_test_args, add_train_args,
                           merge_test_args, merge_train_args)
from levitpose.utils import MissingFileError, UsageError

QUICKSTART = 'configs/quickstart/levitpose-t_sample-coco-256x256.py'


def _cfg(**extra):
    return Config(
        dict(
            default_hooks=dict(
                checkpoint=dict(type='CheckpointHook', interval=1),
                visualization=dict(type='PoseVisualizationHook',
                                   enable=False)),
            optim_wrapper=dict(optimizer=dict(type='Adam', lr=1e-3)),
            auto_scale_lr=dict(base_batch_size=64),
            val_cfg=dict(),
            val_dataloader=dict(),
            val_evaluator=dict(),
            test_evaluator=dict(type='CocoMetric'),
            model=dict(head=dict(loss=dict(type='KeypointMSELoss'))),
            **extra))


def _train(*argv):
    parser = ToolParser()
    add_train_args(parser)
    args = parser.parse_args([QUICKSTART, *argv])
    return merge_train_args(_cfg(), args)


def _test(checkpoint, *argv):
    parser = ToolParser()
    add_test_args(parser)
    args = parser.parse_args([QUICKSTART, str(checkpoint), *argv])
    return merge_test_args(_cfg(), args)


def test_defaults_follow_mmpose():
    cfg = _train()
    assert cfg.work_dir == './work_dirs/levitpose-t_sample-coco-256x256'
    assert cfg.launcher == 'none'
    assert 'enable' not in cfg.auto_scale_lr
    assert cfg.val_cfg is not None


def test_auto_scale_lr_switches_the_config_on():
    assert _train('--auto-scale-lr').auto_scale_lr.enable is True


def test_auto_scale_lr_without_base_batch_size_is_a_usage_error():
    parser = ToolParser()
    add_train_args(parser)
    args = parser.parse_args([QUICKSTART, '--auto-scale-lr'])
    cfg = _cfg()
    cfg.auto_scale_lr = None
    with pytest.raises(UsageError, match='base_batch_size'):
        merge_train_args(cfg, args)


def test_no_validate_drops_validation():
    cfg = _train('--no-validate')
    assert (cfg.val_cfg, cfg.val_dataloader, cfg.val_evaluator) == (None, ) * 3


def test_show_dir_enables_the_visualization_hook(tmp_path):
    vis = _train('--show-dir', str(tmp_path), '--interval',
                 '5').default_hooks.visualization
    assert (vis.enable, vis.show, vis.out_dir,
            vis.interval) == (True, False, str(tmp_path), 5)


def test_resume_auto_and_path(tmp_path):
    cfg = _train('--resume')
    assert (cfg.resume, cfg.load_from) == (True, None)
    checkpoint = tmp_path / 'epoch_1.pth'
    checkpoint.write_bytes(b'x')
    cfg = _train('--resume', str(checkpoint))
    assert (cfg.resume, cfg.load_from) == (True, str(checkpoint))
    with pytest.raises(MissingFileError, match='missing.pth'):
        _train('--resume', str(tmp_path / 'missing.pth'))


def test_cfg_options_come_last():
    cfg = _train('--auto-scale-lr', '--cfg-options',
                 'auto_scale_lr.enable=False')
    assert cfg.auto_scale_lr.enable is False


def test_checkpoint_hook_becomes_the_strict_one():
    assert _train().default_hooks.checkpoint.type == \
        'CrashSafeCheckpointHook'


def test_test_args_set_load_from_and_dump(tmp_path):
    checkpoint = tmp_path / 'a.pth'
    checkpoint.write_bytes(b'x')
    cfg = _test(checkpoint, '--dump', str(tmp_path / 'p.pkl'))
    assert cfg.load_from == str(checkpoint)
    assert cfg.test_evaluator[-1] == dict(
        type='DumpResults', out_file_path=str(tmp_path / 'p.pkl'))
    assert cfg.default_hooks.checkpoint.type == 'CrashSafeCheckpointHook'


@pytest.mark.parametrize('argv, match', [
    (['--dump', 'p.json'], 'must end with .pkl'),
    (['--out', 'm.txt'], 'must end with .json'),
    (['--badcase'], 'default_hooks.badcase'),
    (['--interval', '0'], '--interval must be >= 1'),
])
def test_test_usage_errors(tmp_path, argv, match):
    checkpoint = tmp_path / 'a.pth'
    checkpoint.write_bytes(b'x')
    with pytest.raises(UsageError, match=match):
        _test(checkpoint, *argv)


def test_usage_errors_come_before_file_errors(tmp_path):
    """A bad command line exits 2 even if a file it names is missing."""
    with pytest.raises(UsageError, match='--out'):
        _test(tmp_path / 'missing.pth', '--out', 'm.txt')
    with pytest.raises(UsageError, match='--auto-scale-lr'):
        parser = ToolParser()
        add_train_args(parser)
        args = parser.parse_args([
            QUICKSTART, '--resume',
            str(tmp_path / 'missing.pth'), '--auto-scale-lr'
        ])
        cfg = _cfg()
        cfg.auto_scale_lr = None
        merge_train_args(cfg, args)
