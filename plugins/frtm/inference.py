"""Multi-object online inference of FRTM-VOS (Algorithm 1, sec. 3.4), as
the authors' tracker runs it.

One target model per object on shared features; the refined per-object
probabilities are merged by :func:`min_odds_aggregate` (background = the
smallest ``1 - p``, softmax over odds); each object's model starts on the
frame where its mask is first given, so objects that appear late
(YouTube-VOS) are handled like the first frame's.
"""
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from torch import Tensor

from vostoolkit.models.base import BaseTargetModel
from vostoolkit.models.segmentors.vos_utils import min_odds_aggregate

RefineFn = Callable[[Tensor, Sequence[Tensor], Sequence[int]], Tensor]
FirstFrameFn = Callable[[Tensor, Tensor, np.random.RandomState],
                        Tuple[Tensor, Tensor]]


def winner_labels(agg: Tensor) -> Tensor:
    """Keep each pixel's winning probability only: (O + 1, H, W) ->
    (O + 1, H, W), zero except at the argmax (the labels of the updates)."""
    # max().indices: argmax's first-maximum rule, faster over a short dim
    winner = agg.max(dim=0, keepdim=True).indices  # (1, H, W)
    rows = torch.arange(agg.shape[0], device=agg.device).view(-1, 1, 1)
    return agg * (rows == winner)


class FRTMObjectState:
    """One object of a video: its target-model state and start frame."""

    def __init__(self, obj_id: int, start_frame: int,
                 target: Any):
        self.obj_id = obj_id
        self.start_frame = start_frame
        self.target = target


class FRTMVideoInference:
    """Per-video state and step logic of FRTM-VOS inference.

    Holds the objects of the current video; :meth:`reset` forgets them (the
    video test loop calls it through the model's ``reset_video_state``).
    The networks come in as callables, so this class holds no parameters.

    Per frame: scores and refined probabilities of the started objects;
    objects given on this frame overwrite them with their masks; the
    probabilities are merged (:func:`min_odds_aggregate`) and each pixel
    keeps its winner's probability (:func:`winner_labels`): these are the
    labels the target models learn from. The frame's output is those labels
    merged once more, as the authors write their masks: an object where it
    wins with probability above 0.5, else background.

    Args:
        target_model (BaseTargetModel): The online target model D (any
            member of the role, e.g. ``FRTMTargetModel``), used through
            ``init_state(feats, masks, generator=)``, ``predict`` and
            ``update``.
        first_frame (callable): ``(image (3, H, W), mask (H, W), rng) ->
            (feats (S, C, h, w), masks (S, 1, H, W))``: M0's target-level
            features and masks.
        refine (callable): ``(O, 1, h, w) scores, feature maps, (H, W) ->
            (O, 1, H, W) logits`` (the refinement or score head).
        target_level (int): Index of the target model's map among the
            feature maps given to :meth:`step`.
        seed (int, optional): Seed of M0's draws, restarted for each object
            (the authors' tracker seeds 0 before each object), and of the
            target models' random initialisation, restarted at every
            :meth:`reset`; ``None``: unseeded.
    """

    def __init__(self, target_model: BaseTargetModel,
                 first_frame: FirstFrameFn, refine: RefineFn,
                 target_level: int = 2, seed: Optional[int] = 0):
        self.target_model = target_model
        self.first_frame = first_frame
        self.refine = refine
        self.target_level = target_level
        self.seed = seed
        self.reset()

    def reset(self) -> None:
        """Forget every object (call at the start of each video)."""
        self.objects: Dict[int, FRTMObjectState] = {}
        self.last_frame: Optional[int] = None
        self.generator: Optional[torch.Generator] = None
        if self.seed is not None:
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
        rng = np.random.RandomState(self.seed)
        feats, masks = self.first_frame(image, mask, rng)
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
            tuple: (O + 1, H, W) output probabilities (background first,
            objects in the order of the returned ids; their argmax is the
            frame's labels) and the object ids.
        """
        new_masks = dict(new_masks or {})
        if self.last_frame is not None and frame_index <= self.last_frame:
            raise ValueError(f'frames must come in order: frame '
                             f'{frame_index} after {self.last_frame}')
        self.last_frame = frame_index
        size = image.shape[-2:]
        for obj_id, mask in new_masks.items():
            self.start_object(obj_id, frame_index, image, mask)
        old = [o for o in self.objects.values() if o.obj_id not in new_masks]
        probs = self._predict(old, feats, size)  # (O_old, H, W)
        new_ids = list(new_masks)
        if new_ids:
            given = torch.stack([new_masks[i].to(probs.device).bool()
                                 for i in new_ids]).to(probs.dtype)
            # a given annotation wins over the predictions
            probs = probs * (1 - given.amax(dim=0, keepdim=True))
            probs = torch.cat([probs, given], dim=0)
        labels = winner_labels(min_odds_aggregate(probs))  # (O + 1, H, W)
        self._update(old, labels, feats)
        out = min_odds_aggregate(labels[1:])
        ids = [o.obj_id for o in old] + new_ids
        order = [ids.index(i) for i in self.obj_ids]
        out = torch.cat([out[:1], out[1:][order]], dim=0)
        return out, self.obj_ids

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

    def _update(self, objects: Sequence[FRTMObjectState], labels: Tensor,
                feats: Sequence[Tensor]) -> None:
        """Add each started object's frame to its memory (Algorithm 1)."""
        target_feats = feats[self.target_level]
        for k, obj in enumerate(objects):
            self.target_model.update(obj.target, target_feats,
                                     labels[k + 1][None, None])
