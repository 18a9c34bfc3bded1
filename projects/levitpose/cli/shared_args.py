"""Arguments that several PyTorch tools take with the same meaning: the
forms a model runs in, the input shape of the analysis tools and the
model-and-output arguments of the ONNX exporters."""
import argparse

__all__ = ['TORCH_BACKENDS', 'add_input_shape', 'add_export_args']

#: The forms ``benchmark.py`` times and ``profile_model.py`` profiles: the
#: training graph, fused, fused + traced + frozen, fused + compiled by
#: ``torch.compile``, and the exported graph in ONNX Runtime
#: (``levitpose.deploy.benchmark.BACKENDS``, which the tools do not import
#: for ``--help``).
TORCH_BACKENDS = ('eager', 'deploy', 'jit', 'compile', 'onnxruntime')


def add_input_shape(parser: argparse.ArgumentParser) -> None:
    """``--input-shape H W``; None (the default) means the codec's size."""
    parser.add_argument(
        '--input-shape',
        type=int,
        nargs=2,
        metavar=('H', 'W'),
        help='input height and width (default: the codec input_size)')


def add_export_args(parser: argparse.ArgumentParser, config_help: str,
                    checkpoint_help: str) -> None:
    """``config``, an optional ``checkpoint`` (None: random weights) and
    the required ``--output-file``."""
    parser.add_argument('config', help=config_help)
    parser.add_argument(
        'checkpoint', nargs='?', default=None, help=checkpoint_help)
    parser.add_argument(
        '--output-file', required=True, help='the .onnx file to write')
