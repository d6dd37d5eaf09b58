"""First-frame augmentation (the initial sample set M0)."""
import numpy as np
import torch

from plugins.frtm import FRTMFirstFrameAugmenter
from vostoolkit.registry import TASK_UTILS


def _frame():
    """Grey noisy background with a red square target (normalised-like)."""
    g = torch.Generator().manual_seed(0)
    image = 0.1 * torch.randn(3, 48, 64, generator=g) - 0.5
    mask = torch.zeros(48, 64)
    mask[10:22, 12:28] = 1
    image[0, 10:22, 12:28] = 2.0
    image[1:, 10:22, 12:28] = -1.5
    return image, mask


def test_m0_shapes_and_original_first():
    aug = TASK_UTILS.build(dict(type='FRTMFirstFrameAugmenter', num_samples=6,
                                seed=0))
    image, mask = _frame()
    images, masks = aug(image, mask)
    assert images.shape == (6, 3, 48, 64) and images.dtype == image.dtype
    assert masks.shape == (6, 1, 48, 64)
    assert torch.equal(images[0], image)
    assert torch.equal(masks[0, 0], mask)
    assert set(masks.unique().tolist()) <= {0.0, 1.0}
    for k in range(1, 6):
        assert masks[k].sum() > 0  # the target is pasted somewhere
        inside = images[k, 0][masks[k, 0] > 0]
        # pasted pixels carry the target colour (2.0; background -0.5),
        # softened at the feathered and (sometimes) motion-blurred edges
        assert inside.mean() > 0.5
    # different copies differ
    assert not torch.equal(masks[1], masks[2])


def test_background_is_inpainted_where_the_target_was():
    image, mask = _frame()
    aug = FRTMFirstFrameAugmenter(num_samples=4, seed=1, flip_prob=0,
                                  translate=(0.75, 0.8), scale=(0.7, 0.7))
    images, masks = aug(image, mask)
    for k in range(1, 4):
        old_spot = (mask > 0) & (masks[k, 0] == 0)
        assert old_spot.any()
        # the red target is gone from its old place: inpainted background
        assert images[k, 0][old_spot].max() < 1.0
        # far from the target the frame is untouched
        assert torch.allclose(images[k, :, 40:, :8], image[:, 40:, :8])


def test_seed_reproducible_and_empty_mask():
    image, mask = _frame()
    a = FRTMFirstFrameAugmenter(num_samples=3, seed=5)(image, mask)
    b = FRTMFirstFrameAugmenter(num_samples=3, seed=5)(image, mask)
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    rng = np.random.default_rng(2)
    c = FRTMFirstFrameAugmenter(num_samples=3)(image, mask, rng=rng)
    assert c[0].shape == (3, 3, 48, 64)
    images, masks = FRTMFirstFrameAugmenter(num_samples=3)(
        image, torch.zeros(1, 48, 64))
    assert masks.sum() == 0 and torch.equal(images[2], image)
