# Table 1, row 2 (L_S only): the spatial critic, no temporal critic.
_base_ = ['./fastgan_r50_ytvos18-davis17.py']

model = dict(critic_temporal=None)
optim_wrapper = dict(_delete_=True,
                     constructor='MultiOptimWrapperConstructor',
                     generator={{_base_.adam}},
                     critic_spatial={{_base_.adam}})
param_scheduler = dict(_delete_=True, generator={{_base_.schedule}},
                       critic_spatial={{_base_.schedule}})
