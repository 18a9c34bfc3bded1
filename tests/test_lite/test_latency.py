"""levitpose_lite.latency: the table's arithmetic (medians, IQRs, paired
speed-ups) and its files, on hand-made timings."""
import csv

from levitpose_lite import latency

FP32 = ('T', 'fp32', 'onnxruntime')
INT8 = ('T', 'int8', 'onnxruntime')
TIMES = {
    FP32: dict(crop=[4., 8., 6., 2.], frame=[10., 12., 14., 16.]),
    INT8: dict(crop=[2., 2., 3., 1.], frame=[5., 6., 7., 8.]),
}
SIZES = {FP32: (192, 256), INT8: (192, 256)}


def test_rows_have_medians_iqrs_and_paired_speedups():
    fp32, int8 = latency.summarize(TIMES, FP32, SIZES)
    assert fp32['input'] == '256x192'
    assert fp32['crop_ms'] == 5. and fp32['frame_ms'] == 13.
    assert fp32['speedup_vs_fp32'] is None
    assert fp32['speedup_vs_ref'] == 1.
    # per-round ratios 2, 4, 2, 2: their median, not a ratio of medians
    assert int8['speedup_vs_fp32'] == int8['speedup_vs_ref'] == 2.
    assert int8['crop_iqr_ms'] > 0


def test_precision_comes_from_the_metadata():
    assert latency.precision({}) == 'fp32'
    assert latency.precision({'precision': '{"precision": "int8"}'}) == 'int8'


def test_outputs_are_a_table_and_a_csv(tmp_path):
    rows = latency.summarize(TIMES, FP32, SIZES)
    written = latency.write_outputs(rows, str(tmp_path), 'header')
    assert str(tmp_path / 'lite_benchmark.md') in written
    table = (tmp_path / 'lite_benchmark.md').read_text()
    assert table.startswith('header\n\n| model |')
    assert '| T | int8 | onnxruntime | 256x192 | 2.00 (' in table
    with open(tmp_path / 'lite_benchmark.csv', newline='') as f:
        assert [r['precision'] for r in csv.DictReader(f)] == ['fp32', 'int8']
