"""``init_cfg=dict(type='StrictPretrained', checkpoint=..., prefix=...)``:
MMPose's ``Pretrained`` initialisation, made strict.

MMEngine's ``Pretrained`` loads with ``strict=False``: a file of another
model or layout loads whatever happens to match and only logs a warning,
and a prefix that matches nothing fails with an assertion traceback. This
initializer takes the same arguments and loads through
:func:`levitpose.utils.load_state_dict_strictly`: every key and shape must
fit, or nothing is loaded and a :class:`~levitpose.utils.LEViTPoseError`
names the keys in one line (tools exit with status 1).

A file may declare keys it deliberately does not hold, in
``meta['left_initialised']`` (the EfficientViT ImageNet converter,
``tools/model_converters/efficientvit_msra2levitpose.py``, lists the pose
stem there): those keep the values they have before loading.
"""
from collections import OrderedDict
from typing import Optional

from mmengine.logging import print_log
from mmengine.model.weight_init import update_init_info
from mmpose.registry import WEIGHT_INITIALIZERS
from torch import nn

from ..utils.errors import InvalidInputError
from ..utils.strict_load import (CheckpointMismatchError, describe_keys,
                                 load_state_dict_strictly, read_checkpoint,
                                 state_dict_of)

__all__ = ['StrictPretrainedInit', 'LEFT_INITIALISED']

#: ``meta`` entry of a checkpoint: keys it deliberately does not hold.
LEFT_INITIALISED = 'left_initialised'


@WEIGHT_INITIALIZERS.register_module(name='StrictPretrained')
class StrictPretrainedInit:
    """Initialise a module from a checkpoint; refuse one that does not fit.

    Args:
        checkpoint (str): Path of the checkpoint (read weights-only).
        prefix (str, optional): Load only the keys starting with it, with
            it removed (``'backbone.'`` loads a pose model's or a converted
            file's backbone into a backbone). Defaults to None (all keys).
        map_location (str): As in :func:`torch.load`. Defaults to
            ``'cpu'``.
    """

    def __init__(self,
                 checkpoint: str,
                 prefix: Optional[str] = None,
                 map_location: str = 'cpu') -> None:
        if not isinstance(checkpoint, str) or not checkpoint:
            raise InvalidInputError(
                'StrictPretrained needs checkpoint=<path of a .pth file>, '
                f'got {checkpoint!r}')
        if prefix is not None and (not isinstance(prefix, str) or not prefix):
            raise InvalidInputError('StrictPretrained prefix must be a '
                                    f'non-empty str or None, got {prefix!r}')
        self.checkpoint = checkpoint
        self.prefix = prefix
        self.map_location = map_location

    def __call__(self, module: nn.Module) -> None:
        """Load the checkpoint into ``module``, strictly.

        Raises:
            MissingFileError: If the file does not exist.
            InvalidInputError: If it is not a (safe) checkpoint.
            CheckpointMismatchError: If ``prefix`` matches no key, or the
                keys or shapes do not fit ``module``; ``module`` is then
                unchanged.
        """
        ckpt = read_checkpoint(self.checkpoint, self.map_location)
        state = state_dict_of(ckpt, self.checkpoint)
        meta = ckpt.get('meta') if isinstance(ckpt, dict) else None
        left = list(meta.get(LEFT_INITIALISED,
                             ())) if isinstance(meta, dict) else []
        if self.prefix is not None:
            keys = list(state)
            n = len(self.prefix)
            state = OrderedDict((k[n:], v) for k, v in state.items()
                                if k.startswith(self.prefix))
            if not state:
                raise CheckpointMismatchError(
                    f'prefix {self.prefix!r} matches none of the '
                    f'{len(keys)} keys of checkpoint {self.checkpoint}: '
                    f'{describe_keys(keys)}')
            left = [k[n:] for k in left if k.startswith(self.prefix)]
        current = module.state_dict()
        kept = [k for k in left if k in current and k not in state]
        for key in kept:  # declared absent: keep the initialised value
            state[key] = current[key]
        target = f'{type(module).__name__} (init_cfg StrictPretrained)'
        load_state_dict_strictly(module, state, self.checkpoint, target)
        print_log(
            f'{target}: loaded {len(state) - len(kept)} tensors from '
            f'{self.checkpoint}' +
            (f' (prefix {self.prefix!r})' if self.prefix else '') +
            (f'; {len(kept)} left initialised as the file declares: '
             f'{describe_keys(kept)}' if kept else ''),
            logger='current')
        if hasattr(module, '_params_init_info'):
            update_init_info(module, init_info=self._get_init_info())

    def _get_init_info(self) -> str:
        return f'{self.__class__.__name__}: load from {self.checkpoint}'
