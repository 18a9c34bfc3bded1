# LEViTPose-S on COCO: the paper's recipe and model, as in the base.
_base_ = ['../_base_/coco-256x256.py']
