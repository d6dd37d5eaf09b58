# Table 1 "Ours - no update": the final model with the target model trained
# on the first frame only. Test with the checkpoint of
# frtm_r101_ytvos18-davis17 (no retraining needed).
_base_ = ['./frtm_r101_ytvos18-davis17.py']

model = dict(target_model=dict(update=False))
