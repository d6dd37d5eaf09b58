# Table 1, row 1 (-, -): stage 2 with the balanced BCE only, no critics; the
# regressor steps every iteration (same data budget: 40 DAVIS epochs).
_base_ = ['./fastgan_r50_ytvos18-davis17.py']

model = dict(critic_spatial=None, critic_temporal=None)
optim_wrapper = dict(_delete_=True,
                     constructor='MultiOptimWrapperConstructor',
                     generator={{_base_.adam}})
param_scheduler = dict(_delete_=True, generator={{_base_.schedule}})
