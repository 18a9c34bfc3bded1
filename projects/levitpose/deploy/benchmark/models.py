"""The models of the speed benchmark (data), and their published accuracy.

Accuracy is never typed in here: it is read from the model-zoo metafiles
(``*.yml`` beside each config): MMPose's for the peers, this repository's
for LEViTPose (which hold the LEViTPose paper's numbers).
"""
import os
import os.path as osp
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

import yaml

from ...utils.config import MMPOSE_PREFIX, resolve_config
from ...utils.errors import UsageError

__all__ = [
    'BenchmarkModel', 'BENCHMARK_MODELS', 'REFERENCE_MODEL', 'PAPER_SOURCE',
    'METRICS', 'select_models', 'config_path', 'zoo_accuracy',
    'published_accuracy'
]

REFERENCE_MODEL = 'LEViTPose-T'
#: How accuracy read from this repository's metafiles is labelled.
PAPER_SOURCE = 'LEViTPose paper'
#: Metric columns: name -> (metafile dataset, metafile metric).
METRICS = {'MPII PCKh': ('MPII', 'Mean'), 'COCO AP': ('COCO', 'AP')}
_TD = 'body_2d_keypoint/topdown_heatmap'
_OURS = f'configs/{_TD}'
_MMPOSE = f'{MMPOSE_PREFIX}{_TD}'
_RTMPOSE = f'{MMPOSE_PREFIX}body_2d_keypoint/rtmpose/coco'


@dataclass(frozen=True)
class BenchmarkModel:
    """A model of the benchmark.

    Args:
        name (str): Display name.
        config (str): Repo-relative config path or ``mmpose::`` name; the
            model is built from it (random weights) and timed.
        published (tuple[str, ...]): More configs of the same model whose
            metafile results apply to it (e.g. its COCO config beside the
            MPII one that is timed). Defaults to none.
    """
    name: str
    config: str
    published: Tuple[str, ...] = ()


BENCHMARK_MODELS: Tuple[BenchmarkModel, ...] = (
    BenchmarkModel(
        'LEViTPose-T',
        f'{_OURS}/mpii/td-hm_levitpose-t_8xb64-210e_mpii-256x256.py',
        (f'{_OURS}/coco/td-hm_levitpose-t_8xb64-210e_coco-256x256.py', )),
    BenchmarkModel(
        'LEViTPose-S',
        f'{_OURS}/mpii/td-hm_levitpose-s_8xb64-210e_mpii-256x256.py',
        (f'{_OURS}/coco/td-hm_levitpose-s_8xb64-210e_coco-256x256.py', )),
    BenchmarkModel(
        'EfficientViT-M0',
        f'{_OURS}/mpii/td-hm_efficientvit-m0_8xb64-210e_mpii-256x256.py'),
    BenchmarkModel(
        'HRNet-W32',
        f'{_MMPOSE}/mpii/td-hm_hrnet-w32_8xb64-210e_mpii-256x256.py'),
    BenchmarkModel(
        'Hourglass-52',
        f'{_MMPOSE}/mpii/td-hm_hourglass52_8xb64-210e_mpii-256x256.py'),
    BenchmarkModel(
        'LiteHRNet-30',
        f'{_MMPOSE}/mpii/td-hm_litehrnet-30_8xb64-210e_mpii-256x256.py'),
    BenchmarkModel(
        'MobileNetV2',
        f'{_MMPOSE}/mpii/td-hm_mobilenetv2_8xb64-210e_mpii-256x256.py'),
    BenchmarkModel('PVT-S',
                   f'{_MMPOSE}/coco/td-hm_pvt-s_8xb64-210e_coco-256x192.py'),
    BenchmarkModel('RTMPose-t',
                   f'{_RTMPOSE}/rtmpose-t_8xb256-420e_coco-256x192.py'),
    BenchmarkModel('RTMPose-s',
                   f'{_RTMPOSE}/rtmpose-s_8xb256-420e_coco-256x192.py'),
)


def select_models(names: Optional[Sequence[str]]) -> List[BenchmarkModel]:
    """The benchmark models called ``names`` (all when None), in table order.

    Raises:
        UsageError: naming the unknown names and the allowed ones.
    """
    by_name = {m.name.lower(): m for m in BENCHMARK_MODELS}
    if not names:
        return list(BENCHMARK_MODELS)
    unknown = [n for n in names if n.lower() not in by_name]
    if unknown:
        raise UsageError(f'unknown model(s) {unknown}; choose from '
                         f'{[m.name for m in BENCHMARK_MODELS]}')
    wanted = {n.lower() for n in names}
    return [m for m in BENCHMARK_MODELS if m.name.lower() in wanted]


def config_path(config: str, repo_root: str) -> str:
    """The file of a benchmark config (repo-relative or ``mmpose::``)."""
    if not config.startswith(MMPOSE_PREFIX):
        config = osp.join(repo_root, config)
    return resolve_config(config)


def zoo_accuracy(config_file: str) -> Dict[str, Tuple[float, str]]:
    """Published accuracy of a config, from the metafile beside it.

    Args:
        config_file (str): A config file of the installed MMPose or of this
            repository.

    Returns:
        dict: ``{metric in METRICS: (value in %, source)}``; empty if no
        metafile in the config's folder lists the config. The source is
        ``'mmpose <folder>/<metafile>'`` for MMPose's model zoo, else
        :data:`PAPER_SOURCE`.
    """
    import mmpose
    folder, stem = osp.split(osp.abspath(config_file))
    stem = osp.splitext(stem)[0]
    in_mmpose = folder.startswith(osp.dirname(osp.abspath(mmpose.__file__)))
    for name in sorted(os.listdir(folder)):
        if not name.endswith('.yml'):
            continue
        with open(osp.join(folder, name), encoding='utf-8') as f:
            meta = yaml.safe_load(f) or {}
        for entry in meta.get('Models', []):
            if entry.get('Name') != stem:
                continue
            source = (f'mmpose {osp.basename(folder)}/{name}'
                      if in_mmpose else PAPER_SOURCE)
            found = {}
            for result in entry.get('Results', []):
                for metric, (dataset, key) in METRICS.items():
                    if result.get('Dataset') == dataset and key in result.get(
                            'Metrics', {}):
                        found[metric] = (100 * result['Metrics'][key], source)
            return found
    return {}


def published_accuracy(model: BenchmarkModel,
                       repo_root: str) -> Dict[str, Tuple[float, str]]:
    """Every published metric of ``model``: of its timed config, then of
    its :attr:`~BenchmarkModel.published` configs."""
    accuracy: Dict[str, Tuple[float, str]] = {}
    for config in (model.config, *model.published):
        for metric, value in zoo_accuracy(config_path(config,
                                                      repo_root)).items():
            accuracy.setdefault(metric, value)
    return accuracy
