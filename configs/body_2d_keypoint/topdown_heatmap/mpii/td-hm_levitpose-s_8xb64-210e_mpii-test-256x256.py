# LEViTPose-S on the MPII test set: its keypoints are not public, so testing
# writes the predictions (MpiiTestPredictions: pred.mat as MMPose 0.29 wrote
# it, one-based N x 16 x 2) instead of computing PCKh.
_base_ = ['./td-hm_levitpose-s_8xb64-210e_mpii-256x256.py']

# test-set settings
data_root = 'data/mpii/'

# data loaders
test_dataloader = dict(
    dataset=dict(
        type='ValidatedMpiiTestDataset',  # image, center, scale; no joints
        data_root=data_root,
        ann_file='annotations/mpii_test.json',
        headbox_file=None,
        data_prefix=dict(img='images/')))

# evaluators: writes {outfile_prefix}.mat
test_evaluator = dict(
    _delete_=True,
    type='MpiiTestPredictions',
    outfile_prefix='work_dirs/levitpose-s_mpii-test/pred')
