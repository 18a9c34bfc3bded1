"""``tools/deployment/export_simcc_onnx.py`` refuses a config whose codec
is not SimCC, in one line (its exports, run as a user runs them, are
tested with the lite runtime, ``tests/test_lite/test_pose.py``)."""
TOOL = 'tools/deployment/export_simcc_onnx.py'
LEVITPOSE_T_COCO = ('configs/body_2d_keypoint/topdown_heatmap/coco/'
                    'td-hm_levitpose-t_8xb64-210e_coco-256x256.py')


def test_heatmap_config_is_refused(run_main, tmp_path):
    result = run_main(TOOL, LEVITPOSE_T_COCO, '--output-file',
                      tmp_path / 'x.onnx')
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        'error: expected a config whose codec is SimCCLabel, got MSRAHeatmap'
    ]
