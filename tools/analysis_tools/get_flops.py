"""Print the parameters and FLOPs of a config's whole top-down model.

FLOPs count one multiply-add as one FLOP (mmengine's ``FlopAnalyzer``, as
MMPose's ``get_flops``), with LEViTPose's handles for the operators mmengine
skips (attention, elementwise arithmetic), so the total is complete.

Example::

    python tools/analysis_tools/get_flops.py \\
        configs/body_2d_keypoint/topdown_heatmap/mpii/\\
td-hm_levitpose-t_8xb64-210e_mpii-256x256.py --input-shape 256 256
"""
import argparse
import sys


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Params and FLOPs of a top-down pose model '
        '(model(x, None, "tensor"), batch 1).')
    parser.add_argument('config', help='config file path')
    parser.add_argument(
        '--input-shape',
        type=int,
        nargs=2,
        metavar=('H', 'W'),
        help='input height and width (default: the codec input_size)')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        import levitpose  # noqa: F401  registers the models
        from levitpose.utils.flops import format_count, get_config_complexity
        result = get_config_complexity(
            args.config,
            tuple(args.input_shape) if args.input_shape else None)
    except (FileNotFoundError, ValueError, KeyError, RuntimeError,
            SyntaxError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    h, w = result['input_shape']
    print(f'config: {args.config}')
    print(f'input shape: 1x3x{h}x{w}')
    print(f'params: {format_count(result["params"])} ({result["params"]})')
    print(f'flops: {format_count(result["flops"])} ({result["flops"]}) '
          '(1 multiply-add = 1 flop)')
    attention = sum(v for k, v in result['by_operator'].items()
                    if k in ('matmul', 'bmm', 'scaled_dot_product_attention',
                             'baddbmm', 'softmax'))
    print(f'  of which attention (matmul/softmax): {format_count(attention)}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
