# FRTM-VOS "Ours (fast)": the same refinement network, a lighter target
# model (sec. 3.5): c=32, t_s=16, N_GN=4, N_CGi=5, N_CG=10, N_CGu=5.
# Test with the checkpoint of frtm_r101_ytvos18-davis17.
_base_ = ['./frtm_r101_ytvos18-davis17.py']

model = dict(target_model=dict(num_filters=32, update_interval=16,
                               num_gn_steps=4, update_cg_iters=5))
