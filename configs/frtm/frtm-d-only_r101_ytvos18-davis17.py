# Table 1 "D-only": no refinement network; the target model's scores are
# up-sampled bilinearly and a learned scale and offset (the only two
# parameters trained offline) precede the sigmoid. D is trained on the first
# frame only (no updates).
_base_ = ['./frtm_r101_ytvos18-davis17.py']

model = dict(
    target_model=dict(update=False),
    head=dict(_delete_=True, type='FRTMScoreHead'))
