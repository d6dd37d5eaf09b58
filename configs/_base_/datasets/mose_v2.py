# MOSE v2 (henghuiding/MOSE-api, MOSEv2), laid out as released (as MOSE v1):
#   data/mose_v2/{train,valid}/JPEGImages/<video>/00000.jpg
#   data/mose_v2/{train,valid}/Annotations/<video>/00000.png  (palette ids)
# `valid` gives the first frame's mask only: testing writes the zip the
# server scores (J&F_new, J, F_new, ...).
# Another root: --cfg-options data_root=/my/mose_v2.
_base_ = './mose.py'
dataset_type = 'MOSEv2Dataset'
data_root = 'data/mose_v2'

train_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root))
test_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root))
val_dataloader = test_dataloader
test_evaluator = dict(type='MOSEv2Submission',
                      out_file='work_dirs/mose_v2_valid_submission.zip')
val_evaluator = test_evaluator
submit_evaluator = dict(type='MOSEv2Submission')
