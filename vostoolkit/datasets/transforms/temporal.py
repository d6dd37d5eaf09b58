"""Clip-level temporal transform: play the clip backwards."""
from typing import Dict, Sequence

import numpy as np
from mmcv.transforms import BaseTransform

from vostoolkit.registry import TRANSFORMS
from vostoolkit.utils import DataError
from .clip_utils import FRAME_KEYS, clip_name

# Lists that are whole-video in dataset items but may have been narrowed to
# the clip by a loading transform; reversed only in their clip form.
_MAYBE_CLIP_KEYS = ('frame_names', 'img_paths', 'ann_paths')


def is_clip_list(results: Dict, key: str) -> bool:
    """Whether ``results[key]`` is a per-clip list (one entry per clip frame)
    rather than a whole-video list indexed by ``frame_ids``."""
    value = results.get(key)
    num = len(results.get('frame_ids') or ())
    if value is None or len(value) != num:
        return False
    # A list as long as the video is taken as the whole video's, even when
    # the clip is the whole video too: indexing it by frame_ids is right.
    length = results.get('video_length')
    return length is None or len(value) != length


@TRANSFORMS.register_module()
class ClipRandomReverse(BaseTransform):
    """Reverse the frame order of a clip with probability ``prob``.

    Every per-frame list (``imgs``, ``gt_obj_masks``, ``gt_void``,
    ``gt_masks``, ``gt_frame_valid``, ``frame_ids``, plus ``extra_keys``) is
    reversed together, as is the frame axis of ``gt_instance_valid``
    ((N, T)); ``frame_names`` / ``img_paths`` / ``ann_paths`` are reversed
    when they hold the clip's frames only (whole-video lists stay, being
    indexed by ``frame_ids``). Per-object values (``obj_ids``,
    ``obj_first_frames``) keep their meaning: video frame indices.

    Added key: ``reversed`` (bool).
    """

    def __init__(self, prob: float = 0.5, extra_keys: Sequence[str] = ()):
        if not 0 <= prob <= 1:
            raise ValueError(f'prob must be in [0, 1], got {prob}')
        self.prob = prob
        self.extra_keys = tuple(extra_keys)

    def transform(self, results: Dict) -> Dict:
        do_reverse = bool(np.random.rand() < self.prob)
        results['reversed'] = do_reverse
        if not do_reverse:
            return results
        num = len(results.get('frame_ids') or results.get('imgs') or ())
        keys = [k for k in FRAME_KEYS + self.extra_keys if k in results]
        keys += [k for k in _MAYBE_CLIP_KEYS if is_clip_list(results, k)]
        for key in keys:
            value = results[key]
            if len(value) != num:
                raise DataError(clip_name(results),
                                f'per-frame key {key!r} has {len(value)} '
                                f'entries for a clip of {num} frames')
            results[key] = list(value)[::-1]
        if 'gt_instance_valid' in results:
            valid = np.asarray(results['gt_instance_valid'])
            # (N, T), frame axis reversed; a copy, since for T = 1 numpy
            # calls the reversed view contiguous and torch refuses it
            results['gt_instance_valid'] = valid[:, ::-1].copy()
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(prob={self.prob})'
