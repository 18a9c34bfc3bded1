# LEViTPose-T on the MPII test set: the S test-set config with the narrower
# widths of 'tiny' (predictions file only, see the S config).
_base_ = ['./td-hm_levitpose-s_8xb64-210e_mpii-test-256x256.py']

# model settings: T differs from S in widths only
model = dict(backbone=dict(arch='tiny'), head=dict(in_channels=112))

# evaluators: writes {outfile_prefix}.mat
test_evaluator = dict(outfile_prefix='work_dirs/levitpose-t_mpii-test/pred')
