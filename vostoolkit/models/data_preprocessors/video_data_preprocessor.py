"""Batch a list of packed clips: BGR -> RGB, normalise, pad."""
import math
from typing import Dict, List, Optional, Sequence

import torch
import torch.nn.functional as F
from mmengine.model import BaseDataPreprocessor
from torch import Tensor

from vostoolkit.registry import MODELS
from vostoolkit.structures import VideoDataSample


def _pad_br(x: Tensor, hw, value) -> Tensor:
    """Pad the last two dims of ``x`` bottom-right to ``hw`` = (H, W)."""
    pad_h, pad_w = hw[0] - x.shape[-2], hw[1] - x.shape[-1]
    if pad_h == 0 and pad_w == 0:
        return x
    if x.dtype == torch.bool:
        return F.pad(x.to(torch.uint8), (0, pad_w, 0, pad_h),
                     value=int(value)).bool()
    return F.pad(x, (0, pad_w, 0, pad_h), value=value)


@MODELS.register_module()
class VideoDataPreprocessor(BaseDataPreprocessor):
    """Turn ``dict(inputs=[(T, 3, H, W) uint8, ...], data_samples=[...])``
    into an (N, T, 3, Hp, Wp) float batch.

    Steps: move to the model's device, reverse the channel order
    (``bgr_to_rgb``: the frames are loaded BGR), normalise with
    ``(x - mean) / std`` (ImageNet statistics on the 0-255 scale by
    default), and pad every clip bottom-right to the batch's largest H and W
    rounded up to ``pad_size_divisor``. Padding comes after normalisation,
    so ``pad_value=0`` is the mean colour.

    The ground truth of the data samples is padded the same way:
    ``gt_obj_masks`` with ``mask_pad_value`` (0, background), ``gt_void``
    with ``void_pad_value`` (True: padded pixels are not part of the frame,
    so a loss that skips void skips them), ``gt_instances.masks`` with
    False (boxes are unchanged: the padding is bottom-right). Each sample's
    metainfo gets ``pad_shape`` and ``batch_input_shape`` = (Hp, Wp);
    ``img_shape`` keeps the valid region for un-padding predictions.

    Args:
        mean (Sequence[float] | None): per-channel mean, in the output
            channel order (RGB when ``bgr_to_rgb``). None: no normalisation.
        std (Sequence[float] | None): per-channel std.
        bgr_to_rgb (bool): reverse the channel order.
        pad_size_divisor (int): padded H and W are multiples of this.
        pad_value (float): value of padded input pixels (normalised).
        mask_pad_value (int): value of padded ``gt_obj_masks`` pixels.
        void_pad_value (bool): value of padded ``gt_void`` pixels.
        non_blocking (bool): non-blocking device copies.

    Raises:
        ValueError: if the clips of a batch differ in length T, or a clip is
            not (T, 3, H, W).
    """

    def __init__(self,
                 mean: Optional[Sequence[float]] = (123.675, 116.28, 103.53),
                 std: Optional[Sequence[float]] = (58.395, 57.12, 57.375),
                 bgr_to_rgb: bool = True,
                 pad_size_divisor: int = 1,
                 pad_value: float = 0.0,
                 mask_pad_value: int = 0,
                 void_pad_value: bool = True,
                 non_blocking: bool = False):
        super().__init__(non_blocking=non_blocking)
        if (mean is None) != (std is None):
            raise ValueError('mean and std must be given together')
        self._normalize = mean is not None
        if self._normalize:
            if len(mean) != 3 or len(std) != 3:
                raise ValueError('mean and std need 3 values (one per colour '
                                 'channel)')
            self.register_buffer(
                'mean', torch.tensor(mean).view(1, 3, 1, 1), False)
            self.register_buffer(
                'std', torch.tensor(std).view(1, 3, 1, 1), False)
        if pad_size_divisor < 1:
            raise ValueError(f'pad_size_divisor must be >= 1, got '
                             f'{pad_size_divisor}')
        self.bgr_to_rgb = bgr_to_rgb
        self.pad_size_divisor = int(pad_size_divisor)
        self.pad_value = float(pad_value)
        self.mask_pad_value = int(mask_pad_value)
        self.void_pad_value = bool(void_pad_value)

    def forward(self, data: Dict, training: bool = False) -> Dict:
        """Pre-process one batch.

        Args:
            data (dict): ``inputs``: a list of (T, 3, H, W) clips (or an
                (N, T, 3, H, W) tensor); ``data_samples``: a list of
                :class:`VideoDataSample` or None.
            training (bool): unused; the same steps run in both modes.

        Returns:
            dict: ``inputs`` (N, T, 3, Hp, Wp) float32 and the padded
            ``data_samples``.
        """
        data = self.cast_data(data)
        clips = data['inputs']
        samples: Optional[List[VideoDataSample]] = data.get('data_samples')
        if isinstance(clips, Tensor):
            clips = list(clips.unbind(0)) if clips.dim() == 5 else [clips]
        self._check(clips, samples)
        clips = [self._normalise(c) for c in clips]
        pad_hw = self._pad_hw(clips)
        batch = clips[0].new_full(
            (len(clips), clips[0].shape[0], 3, *pad_hw), self.pad_value)
        for i, clip in enumerate(clips):
            batch[i, :, :, :clip.shape[-2], :clip.shape[-1]] = clip
        if samples is not None:
            for sample in samples:
                self._pad_sample(sample, pad_hw)
        return dict(inputs=batch, data_samples=samples)

    @staticmethod
    def _check(clips: List[Tensor], samples) -> None:
        if not clips:
            raise ValueError('VideoDataPreprocessor got an empty batch')
        for clip in clips:
            if clip.dim() != 4 or clip.shape[1] != 3:
                raise ValueError(f'each clip must be (T, 3, H, W), got '
                                 f'{tuple(clip.shape)}')
        lengths = [clip.shape[0] for clip in clips]
        if len(set(lengths)) > 1:
            names = ([s.metainfo.get('video_name', '?') for s in samples]
                     if samples else ['?'] * len(clips))
            detail = ', '.join(f'{n}: {t}' for n, t in zip(names, lengths))
            raise ValueError(
                f'clips of one batch must have the same number of frames, '
                f'got {detail}; use a fixed clip length or batch size 1')
        if samples is not None and len(samples) != len(clips):
            raise ValueError(f'{len(clips)} clips but {len(samples)} data '
                             f'samples')

    def _normalise(self, clip: Tensor) -> Tensor:
        """(T, 3, H, W) uint8 -> (T, 3, H, W) float32, RGB, normalised."""
        clip = clip.float()
        if self.bgr_to_rgb:
            clip = clip[:, [2, 1, 0]]
        if self._normalize:
            clip = (clip - self.mean) / self.std
        return clip

    def _pad_hw(self, clips: List[Tensor]):
        div = self.pad_size_divisor
        h = max(c.shape[-2] for c in clips)
        w = max(c.shape[-1] for c in clips)
        return (int(math.ceil(h / div) * div), int(math.ceil(w / div) * div))

    def _pad_sample(self, sample: VideoDataSample, pad_hw) -> None:
        if 'gt_obj_masks' in sample:
            sample.gt_obj_masks = _pad_br(sample.gt_obj_masks, pad_hw,
                                          self.mask_pad_value)
        if 'gt_void' in sample:
            sample.gt_void = _pad_br(sample.gt_void, pad_hw,
                                     self.void_pad_value)
        if 'gt_instances' in sample and 'masks' in sample.gt_instances:
            sample.gt_instances.masks = _pad_br(sample.gt_instances.masks,
                                                pad_hw, False)
        sample.set_metainfo(dict(pad_shape=tuple(pad_hw),
                                 batch_input_shape=tuple(pad_hw)))
