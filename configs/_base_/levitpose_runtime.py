# Runtime settings shared by every LEViTPose config: MMPose's defaults plus
# what `levitpose` registers (its models, hooks and safe checkpoint loading).
_base_ = ['mmpose::_base_/default_runtime.py']

# importing `levitpose` registers its modules; never allow a silent failure
custom_imports = dict(imports=['levitpose'], allow_failed_imports=False)
