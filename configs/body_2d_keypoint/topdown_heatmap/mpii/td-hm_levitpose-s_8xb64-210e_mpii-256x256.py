# LEViTPose-S on MPII: the paper's recipe and model, as in the base.
_base_ = ['../_base_/mpii-256x256.py']
