# Table 1, row 3 (L_T only): the temporal critic, no spatial critic.
# Row 4 (both critics) is fastgan_r50_ytvos18-davis17.py itself.
_base_ = ['./fastgan_r50_ytvos18-davis17.py']

model = dict(critic_spatial=None)
optim_wrapper = dict(_delete_=True,
                     constructor='MultiOptimWrapperConstructor',
                     generator={{_base_.adam}},
                     critic_temporal={{_base_.adam}})
param_scheduler = dict(_delete_=True, generator={{_base_.schedule}},
                       critic_temporal={{_base_.schedule}})
