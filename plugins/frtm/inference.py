"""Multi-object online inference of FRTM-VOS (Algorithm 1, sec. 3.4).

One target model per object on shared features; the refined per-object
probabilities are fused by soft aggregation (RGMP); each object's model
starts on the frame where its mask is first given, so objects that appear
late (YouTube-VOS) are handled like the first frame's.
"""
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from torch import Tensor

from vostoolkit.models.segmentors.vos_utils import \
    soft_aggregate as core_soft_aggregate

from .augmenter import FRTMFirstFrameAugmenter
from .target_model import FRTMTargetModel, FRTMTargetState

RefineFn = Callable[[Tensor, Sequence[Tensor], Sequence[int]], Tensor]
ExtractFn = Callable[[Tensor], Tensor]


def soft_aggregate(probs: Tensor, eps: float = 1e-7) -> Tensor:
    """Fuse independent per-object probabilities (soft aggregation, RGMP).

    The background probability is ``prod_m (1 - p_m)``; the probabilities
    of background and objects are turned into logits ``log(p / (1 - p))``
    and normalised by a softmax over the objects.

    Args:
        probs (Tensor): (O, H, W) per-object probabilities (O may be 0).

    Returns:
        Tensor: (O + 1, H, W) probabilities, background first, summing to
        one over the first dimension.
    """
    return torch.softmax(core_soft_aggregate(probs, eps), dim=0)


class FRTMObjectState:
    """One object of a video: its target-model state and start frame."""

    def __init__(self, obj_id: int, start_frame: int,
                 target: FRTMTargetState):
        self.obj_id = obj_id
        self.start_frame = start_frame
        self.target = target


class FRTMVideoInference:
    """Per-video state and step logic of FRTM-VOS inference.

    Holds the objects of the current video; :meth:`reset` forgets them (the
    video test loop calls it through the model's ``reset_video_state``).
    The networks come in as callables, so this class holds no parameters.

    Args:
        target_model (FRTMTargetModel): The online target model D.
        augmenter (FRTMFirstFrameAugmenter): Makes M0 from a first frame.
        extract (callable): ``(S, 3, H, W) images -> (S, C, h, w)`` target-
            layer features (for M0).
        refine (callable): ``(O, 1, h, w) scores, feature maps, (H, W) ->
            (O, 1, H, W) logits`` (the refinement or score head).
        target_level (int): Index of the target model's map among the
            feature maps given to :meth:`step`.
        seed (int, optional): Seed of M0's augmentation and of the target
            models' random initialisation, re-applied at every
            :meth:`reset`, so a video's result does not depend on the videos
            before it (nor on how they were split between processes).
            ``None``: unseeded.
    """

    def __init__(self, target_model: FRTMTargetModel,
                 augmenter: FRTMFirstFrameAugmenter, extract: ExtractFn,
                 refine: RefineFn, target_level: int = 3,
                 seed: Optional[int] = 0):
        self.target_model = target_model
        self.augmenter = augmenter
        self.extract = extract
        self.refine = refine
        self.target_level = target_level
        self.seed = seed
        self.reset()

    def reset(self) -> None:
        """Forget every object (call at the start of each video)."""
        self.objects: Dict[int, FRTMObjectState] = {}
        self.last_frame: Optional[int] = None
        self.rng: Optional[np.random.Generator] = None
        self.generator: Optional[torch.Generator] = None
        if self.seed is not None:
            self.rng = np.random.default_rng(self.seed)
            self.generator = torch.Generator().manual_seed(self.seed)

    @property
    def obj_ids(self) -> List[int]:
        """Ids of the objects started so far, in start order."""
        return list(self.objects)

    def start_object(self, obj_id: int, frame_index: int, image: Tensor,
                     mask: Tensor) -> FRTMObjectState:
        """Learn a new object's target model on its first frame.

        Args:
            obj_id (int): The object's id.
            frame_index (int): Video frame index of ``image``.
            image (Tensor): (3, H, W) frame as fed to the backbone.
            mask (Tensor): (H, W) given mask of the object.
        """
        images, masks = self.augmenter(image, mask, rng=self.rng)
        feats = self.extract(images)  # (S, C, h, w)
        state = self.target_model.init_state(feats, masks.to(feats.dtype),
                                             generator=self.generator)
        obj = FRTMObjectState(obj_id, frame_index, state)
        self.objects[obj_id] = obj
        return obj

    def step(self, frame_index: int, image: Tensor, feats: Sequence[Tensor],
             new_masks: Optional[Dict[int, Tensor]] = None
             ) -> Tuple[Tensor, List[int]]:
        """Segment one frame, start new objects and update the others.

        Args:
            frame_index (int): Video frame index (increasing).
            image (Tensor): (3, H, W) frame as fed to the backbone.
            feats (Sequence[Tensor]): backbone maps of the frame, each
                (1, C_i, h_i, w_i); ``feats[target_level]`` feeds D.
            new_masks (dict[int, Tensor], optional): masks (H, W) of objects
                first given on this frame.

        Returns:
            tuple: (O + 1, H, W) aggregated probabilities (background first,
            objects in the order of the returned ids) and the object ids.
        """
        new_masks = dict(new_masks or {})
        if self.last_frame is not None and frame_index <= self.last_frame:
            raise ValueError(f'frames must come in order: frame '
                             f'{frame_index} after {self.last_frame}')
        self.last_frame = frame_index
        size = image.shape[-2:]
        old = [o for o in self.objects.values() if o.obj_id not in new_masks]
        probs = self._predict(old, feats, size)  # (O_old, H, W)
        new_ids = [i for i in new_masks]
        if new_ids:
            given = torch.stack([new_masks[i].to(probs.device).bool()
                                 for i in new_ids]).to(probs.dtype)
            # a given annotation wins over the predictions
            probs = probs * (1 - given.amax(dim=0, keepdim=True))
            probs = torch.cat([probs, given], dim=0)
        agg = soft_aggregate(probs)  # (O + 1, H, W)
        for obj_id in new_ids:
            self.start_object(obj_id, frame_index, image, new_masks[obj_id])
        self._update(old, agg, feats)
        ids = [o.obj_id for o in old] + new_ids
        order = [ids.index(i) for i in self.obj_ids]
        agg = torch.cat([agg[:1], agg[1:][order]], dim=0)
        return agg, self.obj_ids

    def _predict(self, objects: Sequence[FRTMObjectState],
                 feats: Sequence[Tensor], size: Sequence[int]) -> Tensor:
        """Refined probabilities (O, H, W) of already started objects."""
        target_feats = feats[self.target_level]
        if not objects:
            return target_feats.new_zeros((0, *size))
        with torch.no_grad():
            scores = torch.cat([self.target_model.predict(o.target,
                                                          target_feats)
                                for o in objects])  # (O, 1, h, w)
            logits = self.refine(scores, feats, size)  # (O, 1, H, W)
        return torch.sigmoid(logits)[:, 0]

    def _update(self, objects: Sequence[FRTMObjectState], agg: Tensor,
                feats: Sequence[Tensor]) -> None:
        """Add each started object's frame to its memory (Algorithm 1)."""
        if not objects:
            return
        winner = agg.argmax(dim=0)  # (H, W)
        target_feats = feats[self.target_level]
        for k, obj in enumerate(objects):
            label = agg[k + 1] * (winner == k + 1)
            self.target_model.update(obj.target, target_feats,
                                     label[None, None])
