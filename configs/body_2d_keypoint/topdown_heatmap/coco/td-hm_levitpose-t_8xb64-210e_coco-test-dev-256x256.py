# LEViTPose-T on COCO test-dev2017: the S test-dev config with the narrower
# widths of 'tiny' (results file only, see the S config).
_base_ = ['./td-hm_levitpose-s_8xb64-210e_coco-test-dev-256x256.py']

# model settings: T differs from S in widths only
model = dict(backbone=dict(arch='tiny'), head=dict(in_channels=112))

# evaluators: writes {outfile_prefix}.keypoints.json
test_evaluator = dict(
    outfile_prefix='work_dirs/levitpose-t_coco-test-dev/results')
