# Runtime settings shared by every LEViTPose config: MMPose's defaults plus
# what `levitpose` registers (its models, hooks and safe checkpoint loading).
_base_ = ['mmpose::_base_/default_runtime.py']

# importing `levitpose` registers its modules; never allow a silent failure
custom_imports = dict(imports=['levitpose'], allow_failed_imports=False)

# crash-safe checkpoints: written to a partial file, fsync'd, then renamed;
# `--resume` continues from the newest complete one (levitpose.engine.hooks)
default_hooks = dict(checkpoint=dict(type='CrashSafeCheckpointHook'))
# a NaN/Inf loss stops training at that iteration, before anything is saved
# (NonFiniteLossHook); `--resume` continues the saved random stream
# (RNGStateHook)
custom_hooks = [
    dict(type='SyncBuffersHook'),
    dict(type='NonFiniteLossHook'),
    dict(type='RNGStateHook')
]

# MMPose 1.3.2's PoseLocalVisualizer crashes on NumPy 2 when it draws a
# keypoint; this registered subclass fixes it (levitpose.visualization)
visualizer = dict(type='LEViTPoseVisualizer')
