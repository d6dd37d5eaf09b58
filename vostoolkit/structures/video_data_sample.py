"""``VideoDataSample``: one clip (or whole video) and its annotations.

Conventions shared by datasets, transforms, models and metrics. ``T`` is the
number of frames in the sample, ``H, W`` the frame size after transforms.

Meta information (``sample.metainfo``)
    video_id (int | str), video_name (str), task ('vos' | 'vis'),
    frame_ids (list[int]): index of each frame in its video,
    frame_names (list[str]): file stem of each frame ('00000'),
    video_length (int): frames in the whole video,
    ori_shape (tuple): (H, W) of the original frames, img_shape (tuple),
    pad_shape (tuple), scale_factor (tuple), flip (bool),
    is_first / is_last (bool): the sample starts / ends its video (test mode
    yields a video as consecutive chunks; the video loop resets per-video
    state on ``is_first``).

VOS ground truth
    gt_obj_masks (Tensor): (T, H, W) uint8 object ids, 0 = background.
        Void pixels (255 in DAVIS) are 0 here and True in ``gt_void``.
    gt_void (Tensor): (T, H, W) bool.
    gt_frame_valid (Tensor): (T,) bool, the frame has an annotation file.
    obj_ids (Tensor): (O,) long, the video's object ids.
    obj_first_frames (Tensor): (O,) long, video frame index where each
        object's mask is first given (YouTube-VOS objects appear late).

VIS ground truth, ``gt_instances`` (:class:`InstanceData`, N tubes)
    instance_ids (N,) long, labels (N,) long (0-based category index),
    masks (N, T, H, W) bool, frame_valid (N, T) bool (False: absent /
    null segmentation on that frame; its mask is empty).

Predictions
    pred_obj_masks (Tensor): (T, H, W) uint8 object ids (VOS).
    pred_instances (InstanceData): scores (N,), labels (N,), and either
        masks (N, T, H, W) bool or rles (list of N lists of T pycocotools
        RLE dicts / None) for VIS.
"""
from typing import Optional

import torch
from mmengine.structures import BaseDataElement, InstanceData


class VideoDataSample(BaseDataElement):
    """Data element for a video clip; see the module docstring for fields."""

    def _tensor_prop(name: str, dtype: Optional[torch.dtype] = None):

        def getter(self):
            return getattr(self, f'_{name}')

        def setter(self, value):
            if not isinstance(value, torch.Tensor):
                value = torch.as_tensor(value)
            if dtype is not None:
                value = value.to(dtype)
            self.set_field(value, f'_{name}', dtype=torch.Tensor)

        def deleter(self):
            del self[f'_{name}']

        return property(getter, setter, deleter)

    gt_obj_masks = _tensor_prop('gt_obj_masks', torch.uint8)
    gt_void = _tensor_prop('gt_void', torch.bool)
    gt_frame_valid = _tensor_prop('gt_frame_valid', torch.bool)
    obj_ids = _tensor_prop('obj_ids', torch.long)
    obj_first_frames = _tensor_prop('obj_first_frames', torch.long)
    pred_obj_masks = _tensor_prop('pred_obj_masks', torch.uint8)
    del _tensor_prop

    @property
    def gt_instances(self) -> InstanceData:
        return self._gt_instances

    @gt_instances.setter
    def gt_instances(self, value: InstanceData):
        self.set_field(value, '_gt_instances', dtype=InstanceData)

    @gt_instances.deleter
    def gt_instances(self):
        del self._gt_instances

    @property
    def pred_instances(self) -> InstanceData:
        return self._pred_instances

    @pred_instances.setter
    def pred_instances(self, value: InstanceData):
        self.set_field(value, '_pred_instances', dtype=InstanceData)

    @pred_instances.deleter
    def pred_instances(self):
        del self._pred_instances

    @property
    def num_frames(self) -> int:
        """Number of frames in this sample."""
        return len(self.metainfo.get('frame_ids', ()))
