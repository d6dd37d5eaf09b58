"""A model wrapper that trains any mask-predicting segmentor against
``CRITICS`` members (WGAN-GP, n_critic schedule)."""
import re
from typing import Any, Dict, List, Optional

import torch.nn as nn
from torch import Tensor

from vostoolkit.registry import CRITICS, LOSSES, MODELS

from .adversarial import AdversarialTrainMixin, bare
from .base import AdversarialBatch, BaseVideoSegmentor, SampleList

CRITIC_NAME = re.compile(r'critic_[A-Za-z0-9_]+$')


@MODELS.register_module()
class AdversarialSegmentor(AdversarialTrainMixin, BaseVideoSegmentor):
    """A segmentor trained against critics; at test time, the segmentor.

    Training: every iteration steps each critic once (WGAN-GP on the
    segmentor's predicted masks against the ground truth, laid out by each
    critic's ``critic_inputs``), and every ``n_critic``-th iteration also
    steps the segmentor on its own losses plus ``loss_adv_<name>`` per
    critic. The segmentor provides the batch through its
    ``adversarial_batch`` (see ``BaseVideoSegmentor``). Inference,
    ``video_states`` and raw outputs are the segmentor's.

    Optim wrappers: an ``OptimWrapperDict`` keyed ``segmentor`` and one key
    per critic name (``MultiOptimWrapperConstructor``), schedulers as a dict
    with the same keys.

    Checkpoints: the segmentor's weights are under ``segmentor.``, each
    critic's under its name. A model built with ``critics=None`` (the
    config's ``test_model = dict(critics=None)``, applied by
    ``tools/test.py``) drops the critic weights when loading; a checkpoint
    of the plain segmentor (no ``segmentor.`` prefix) loads into the
    wrapper, so adversarial training can start from a supervised one
    (``load_from``).

    Args:
        segmentor (dict): ``MODELS`` config of a ``BaseVideoSegmentor``
            implementing ``adversarial_batch``; its data preprocessor is
            the wrapper's.
        critics (dict, optional): ``{'critic_<name>': CRITICS config}``;
            None or empty: no critics (test time, or supervised training).
        loss_critic (dict): Critics' objective. Default: WGAN-GP,
            ``lambda_gp = 10``.
        loss_adv (dict, optional): ``{'critic_<name>': LOSSES config}``,
            the segmentor's term against each critic; a critic without an
            entry gets ``WGANGeneratorLoss`` of weight 1.
        n_critic (int): Critic steps per segmentor step. Default: 5.
        gt_uncertainty (float, optional): FaSTGAN's ground-truth trick on
            the critics' real masks (``critic_real_masks``); None: off.
        gt_noise (str, optional): ``'prediction'``, ``'residual'`` or None
            (no noise on the real masks).
        init_cfg (dict, optional): mmengine init config.
    """

    generator_key = 'segmentor'

    def __init__(self, segmentor: dict,
                 critics: Optional[Dict[str, dict]] = None, *,
                 loss_critic: dict = dict(type='WGANGPCriticLoss',
                                          lambda_gp=10.0),
                 loss_adv: Optional[Dict[str, dict]] = None,
                 n_critic: int = 5, gt_uncertainty: Optional[float] = None,
                 gt_noise: Optional[str] = None,
                 init_cfg: Optional[dict] = None) -> None:
        seg = MODELS.build(segmentor)
        if not isinstance(seg, BaseVideoSegmentor):
            raise TypeError(f'AdversarialSegmentor: segmentor must be a '
                            f'BaseVideoSegmentor, got {type(seg).__name__}')
        critics = dict(critics or {})
        if critics and type(seg).adversarial_batch is \
                BaseVideoSegmentor.adversarial_batch:
            raise TypeError(
                f'AdversarialSegmentor: {type(seg).__name__} does not define '
                'adversarial_batch(), so it cannot be trained against '
                'critics')
        super().__init__(data_preprocessor=seg.data_preprocessor,
                         init_cfg=init_cfg)
        self.segmentor = seg
        loss_adv = dict(loss_adv or {})
        unknown = sorted(set(loss_adv) - set(critics))
        if critics and unknown:
            raise ValueError(f'AdversarialSegmentor: loss_adv names '
                             f'{unknown}, which are not critics '
                             f'({sorted(critics)})')
        self.loss_adv = nn.ModuleDict()
        for name, cfg in critics.items():
            if not CRITIC_NAME.match(name):
                raise ValueError(
                    f"AdversarialSegmentor: critic names are 'critic_<name>' "
                    f'(letters, digits, _), got {name!r}')
            self.add_module(name, CRITICS.build(cfg))
            self.loss_adv[name] = LOSSES.build(loss_adv.get(
                name, dict(type='WGANGeneratorLoss', loss_weight=1.0)))
        self.init_adversarial(n_critic=n_critic, loss_critic=loss_critic,
                              gt_uncertainty=gt_uncertainty,
                              gt_noise=gt_noise)
        self._register_load_state_dict_pre_hook(self._add_segmentor_prefix)

    def _add_segmentor_prefix(self, state_dict, prefix, *args,
                              **kwargs) -> None:
        """Load a plain segmentor's checkpoint: when no key is under
        ``segmentor.``, put the non-critic keys there."""
        own = [k for k in state_dict if k.startswith(prefix)]
        if not own or any(k.startswith(f'{prefix}segmentor.') for k in own):
            return
        for key in own:
            rest = key[len(prefix):]
            if not CRITIC_NAME.match(rest.split('.', 1)[0]):
                state_dict[f'{prefix}segmentor.{rest}'] = state_dict.pop(key)

    def adversarial_loss(self, name: str) -> nn.Module:
        return self.loss_adv[name]

    def video_states(self) -> List[Any]:
        return bare(self.segmentor).video_states()

    def adversarial_batch(self, inputs: Tensor,
                          data_samples: SampleList) -> AdversarialBatch:
        """The segmentor's batch, called through its ``forward`` (so that a
        distributed wrapper synchronises its gradients)."""
        return self.segmentor(inputs, data_samples, mode='adversarial')

    def loss(self, inputs: Tensor,
             data_samples: SampleList) -> Dict[str, Tensor]:
        """The segmentor's losses and adversarial terms (no critic step).

        Args:
            inputs (Tensor): (N, T, 3, H, W) training clips.
            data_samples (list[VideoDataSample]): Their ground truth.
        """
        if not self.critics():
            return self.segmentor(inputs, data_samples, mode='loss')
        batch = self.adversarial_batch(inputs, data_samples)
        return {**batch.losses, **self.adversarial_losses(batch)}

    def predict(self, inputs: Tensor,
                data_samples: SampleList) -> SampleList:
        """The segmentor's predictions (see its ``predict``)."""
        return bare(self.segmentor).predict(inputs, data_samples)

    def _forward(self, inputs: Tensor,
                 data_samples: Optional[SampleList] = None) -> Any:
        """The segmentor's raw outputs."""
        return bare(self.segmentor)._forward(inputs, data_samples)
