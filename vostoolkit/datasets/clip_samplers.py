"""Clip samplers: which frames of a video make one training clip.

A sampler is called with a dataset item (``docs/data_pipeline.md``) and
returns the clip's video frame indices, or None when the video has no valid
clip (the dataset then draws another video). Randomness comes from the
``rng`` argument, else from numpy's global state (seeded by mmengine per
worker), so training runs are reproducible.
"""
from typing import List, Optional, Sequence

import numpy as np

from vostoolkit.registry import TASK_UTILS


def _rng(rng: Optional[np.random.Generator]) -> np.random.Generator:
    if rng is not None:
        return rng
    return np.random.default_rng(np.random.randint(0, 2**31 - 1))


@TASK_UTILS.register_module()
class VOSClipSampler:
    """A reference frame where the objects are annotated, then the frames
    that follow it.

    The clip is ``[reference, f_1, ..., f_{num_frames-1}]``: clip frame 0 is
    always the reference. Used as:

    * FaSTGAN: ``num_frames=5`` (reference M_n + a window of K=4 frames),
      ``random_reference=True`` (a new reference every iteration).
    * FRTM-VOS: ``num_frames=3`` (1 reference + 2 validation frames).

    Args:
        num_frames (int): clip length including the reference.
        max_skip (int): largest step between consecutive clip frames,
            counted in annotated frames (so in stored frames on YouTube-VOS
            train, whose annotations are every 5th video frame).
        min_skip (int): smallest such step.
        random_reference (bool): draw the reference uniformly among the
            annotated frames that show an object (and leave room for the
            following frames when the video allows); False takes the first
            such frame.
        direction (str): 'forward': the other frames follow the reference
            in time order; 'any': they are drawn without replacement from
            the annotated frames within ``max_skip * (num_frames - 1)`` of
            the reference on either side, then sorted by time (the
            reference stays first).
        min_objects (int): objects the reference must show.

    Videos too short for the clip repeat their last frame.
    """

    def __init__(self,
                 num_frames: int = 3,
                 max_skip: int = 5,
                 min_skip: int = 1,
                 random_reference: bool = True,
                 direction: str = 'forward',
                 min_objects: int = 1):
        if num_frames < 1 or not 1 <= min_skip <= max_skip:
            raise ValueError(f'need num_frames >= 1 and 1 <= min_skip <= '
                             f'max_skip; got {num_frames}, {min_skip}, '
                             f'{max_skip}')
        if direction not in ('forward', 'any'):
            raise ValueError(f"direction must be 'forward' or 'any', got "
                             f'{direction!r}')
        self.num_frames = num_frames
        self.max_skip = max_skip
        self.min_skip = min_skip
        self.random_reference = random_reference
        self.direction = direction
        self.min_objects = min_objects

    def reference_candidates(self, video: dict) -> List[int]:
        """Annotated frames showing at least ``min_objects`` objects."""
        annotated = _annotated(video)
        first = video.get('obj_first_frames') or {}
        frames = video.get('obj_frames')
        frames = [set(v) for v in frames.values()] if frames else None
        out = []
        for t in annotated:
            if frames:  # known per-object presence (YouTube-VOS meta)
                shown = sum(t in v for v in frames)
            else:
                shown = sum(int(f) <= t for f in first.values())
            if shown >= self.min_objects:
                out.append(t)
        return out

    def __call__(self, video: dict,
                 rng: Optional[np.random.Generator] = None
                 ) -> Optional[List[int]]:
        rng = _rng(rng)
        cands = self.reference_candidates(video)
        if not cands:
            return None
        annotated = _annotated(video)
        need = self.num_frames - 1
        if not self.random_reference:
            ref = cands[0]
        elif self.direction == 'forward':
            pos = {t: i for i, t in enumerate(annotated)}
            roomy = [t for t in cands
                     if len(annotated) - 1 - pos[t] >= need * self.min_skip]
            pool = roomy or cands
            ref = int(pool[int(rng.integers(len(pool)))])
        else:
            ref = int(cands[int(rng.integers(len(cands)))])
        if self.direction == 'forward':
            rest = self._forward(annotated, ref, need, rng)
        else:
            rest = self._around(annotated, ref, need, rng)
        return [ref] + rest

    def _forward(self, annotated: Sequence[int], ref: int, need: int,
                 rng: np.random.Generator) -> List[int]:
        after = [t for t in annotated if t > ref]
        out, p = [], -1
        for k in range(need):
            remaining = need - k - 1
            hi = min(self.max_skip,
                     len(after) - 1 - p - remaining * self.min_skip)
            if hi >= self.min_skip:
                p += int(rng.integers(self.min_skip, hi + 1))
            else:  # too short: step as far as possible, then repeat
                p = min(p + self.min_skip, len(after) - 1)
            out.append(after[p] if p >= 0 else ref)
        return out

    def _around(self, annotated: Sequence[int], ref: int, need: int,
                rng: np.random.Generator) -> List[int]:
        reach = self.max_skip * max(need, 1)
        pos = annotated.index(ref)
        near = [t for t in annotated[max(0, pos - reach):pos + reach + 1]
                if t != ref]
        if not near:
            return [ref] * need
        replace = len(near) < need
        pick = rng.choice(len(near), size=need, replace=replace)
        return sorted(near[i] for i in pick)

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(num_frames={self.num_frames}, '
                f'max_skip={self.max_skip}, min_skip={self.min_skip}, '
                f'random_reference={self.random_reference}, '
                f'direction={self.direction!r})')


def _annotated(video: dict) -> List[int]:
    paths = video.get('ann_paths')
    if paths is None:
        return list(range(int(video['video_length'])))
    return [t for t, p in enumerate(paths) if p is not None]


@TASK_UTILS.register_module()
class VISClipSampler:
    """T frames drawn without replacement within +-``window`` frames of a
    random reference frame, sorted by time (NOVIS appendix A: T - 1 frames
    within +-5 frames around a random reference).

    Args:
        num_frames (int): clip length T (reference included).
        window (int): the other frames lie within this many frames of the
            reference.
        sort (bool): return the clip in time order.

    Videos with fewer than T frames in the window repeat frames of it.
    """

    def __init__(self, num_frames: int = 4, window: int = 5,
                 sort: bool = True):
        if num_frames < 1 or window < 0:
            raise ValueError(f'need num_frames >= 1 and window >= 0; got '
                             f'{num_frames}, {window}')
        self.num_frames = num_frames
        self.window = window
        self.sort = sort

    def __call__(self, video: dict,
                 rng: Optional[np.random.Generator] = None
                 ) -> Optional[List[int]]:
        rng = _rng(rng)
        n = int(video['video_length'])
        if n < 1:
            return None
        ref = int(rng.integers(n))
        near = [t for t in range(max(0, ref - self.window),
                                 min(n, ref + self.window + 1)) if t != ref]
        need = self.num_frames - 1
        if len(near) >= need:
            rest = [near[i] for i in rng.choice(len(near), need,
                                                replace=False)]
        else:
            extra = [near[i] for i in rng.choice(len(near), need - len(
                near))] if near else [ref] * (need - len(near))
            rest = near + extra
        clip = [ref] + [int(t) for t in rest]
        return sorted(clip) if self.sort else clip

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(num_frames={self.num_frames}, '
                f'window={self.window})')
