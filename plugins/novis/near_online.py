"""Near-online clip scheduling and averaging of overlapping clip logits
(NOVIS section 4.2)."""
from typing import Dict, List, Tuple

from torch import Tensor


def clip_schedule(video_length: int, clip_len: int, stride: int
                  ) -> List[Tuple[int, int]]:
    """``[start, end)`` of the clips covering a video.

    Clips of ``clip_len`` frames start every ``stride`` frames; if the last
    one stops short of the end, one more clip ends at the last frame (its
    overlap with the previous clip is then larger). A video shorter than a
    clip is one clip.

    Args:
        video_length (int): Frames in the video (>= 1).
        clip_len (int): T.
        stride (int): S, 1 <= S <= T.

    Returns:
        list[tuple[int, int]]: clips in order.
    """
    if video_length < 1:
        raise ValueError(f'video_length must be >= 1, got {video_length}')
    if not 1 <= stride <= clip_len:
        raise ValueError(f'need 1 <= stride <= clip_len, got stride={stride}'
                         f', clip_len={clip_len}')
    if video_length <= clip_len:
        return [(0, video_length)]
    starts = list(range(0, video_length - clip_len + 1, stride))
    if starts[-1] + clip_len < video_length:
        starts.append(video_length - clip_len)
    return [(s, s + clip_len) for s in starts]


class ClipLogitAverager:
    """Averages per-frame mask logits of overlapping clips and releases each
    frame once no later clip can cover it.

    Only frames of the clips still open are held, so memory does not grow
    with the video. Logits must be in track order (row i is track i in
    every clip).
    """

    def __init__(self):
        self.reset()

    def reset(self) -> None:
        """Forget the previous video."""
        self._sum: Dict[int, Tensor] = {}
        self._count: Dict[int, int] = {}
        self._next = 0

    def add(self, start: int, logits: Tensor, finished_before: int
            ) -> List[Tuple[int, Tensor]]:
        """Add a clip and release the frames that are final.

        Args:
            start (int): Video index of the clip's first frame.
            logits (Tensor): (N, T, h, w) mask logits of the clip.
            finished_before (int): Frames before this index get no further
                clip (the next clip's start, or the video length).

        Returns:
            list[tuple[int, Tensor]]: ``(frame_index, (N, h, w) averaged
            logits)`` for each released frame, in frame order.
        """
        if start > self._next:
            raise ValueError(f'clip starting at frame {start} leaves frames '
                             f'{self._next}..{start - 1} uncovered')
        for i in range(logits.shape[1]):
            f = start + i
            if f < self._next:
                raise ValueError(f'frame {f} was already released')
            frame = logits[:, i].detach()
            if f in self._sum:
                self._sum[f] = self._sum[f] + frame
                self._count[f] += 1
            else:
                self._sum[f], self._count[f] = frame.clone(), 1
        return self._release(finished_before)

    def flush(self) -> List[Tuple[int, Tensor]]:
        """Release every frame still held (end of the video)."""
        return self._release(max(self._sum, default=-1) + 1)

    def _release(self, before: int) -> List[Tuple[int, Tensor]]:
        out = []
        while self._next < before and self._next in self._sum:
            f = self._next
            out.append((f, self._sum.pop(f) / self._count.pop(f)))
            self._next += 1
        return out
