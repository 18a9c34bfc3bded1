# LEViTPose-S on COCO test-dev2017 (the paper reports 68.7 AP there): test-dev
# keypoints are not public, so testing writes MMPose's results file for the
# evaluation server (format_only) instead of computing AP. Boxes: the person
# detections MMPose publishes for test-dev (the file named below).
_base_ = ['./td-hm_levitpose-s_8xb64-210e_coco-256x256.py']

# test-set settings
data_root = 'data/coco/'
outfile_prefix = 'work_dirs/levitpose-s_coco-test-dev/results'

# data loaders
test_dataloader = dict(
    dataset=dict(
        type='ValidatedCocoTestDataset',  # an image list, no keypoints
        data_root=data_root,
        ann_file='annotations/image_info_test-dev2017.json',
        bbox_file=f'{data_root}person_detection_results/'
        'COCO_test-dev2017_detections_AP_H_609_person.json',
        data_prefix=dict(img='test2017/')))

# evaluators: writes {outfile_prefix}.keypoints.json
test_evaluator = dict(
    ann_file=f'{data_root}annotations/image_info_test-dev2017.json',
    format_only=True,
    outfile_prefix=outfile_prefix)
