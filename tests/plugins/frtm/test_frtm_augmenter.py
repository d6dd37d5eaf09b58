"""First-frame augmentation (the initial sample set M0), the authors'
procedure."""
import numpy as np
import torch

from plugins.frtm import FRTMFirstFrameAugmenter, blur_kernel
from vostoolkit.registry import TASK_UTILS


def _frame():
    """Grey noisy 8-bit background with a red rectangle target."""
    g = torch.Generator().manual_seed(0)
    image = (100 + 10 * torch.randn(3, 48, 64, generator=g)).round()
    mask = torch.zeros(48, 64)
    mask[10:22, 12:28] = 1
    image[0, 10:22, 12:28] = 250
    image[1:, 10:22, 12:28] = 20
    return image.clamp(0, 255), mask


def test_m0_shapes_original_first_and_bytes():
    aug = TASK_UTILS.build(dict(type='FRTMFirstFrameAugmenter'))
    image, mask = _frame()
    images, masks = aug(image, mask, rng=np.random.RandomState(0))
    assert images.shape == (5, 3, 48, 64) and images.dtype == image.dtype
    assert masks.shape == (5, 1, 48, 64)
    assert torch.equal(images[0], image)
    assert torch.equal(masks[0, 0], mask)
    assert set(masks.unique().tolist()) <= {0.0, 1.0}
    assert torch.equal(images, images.round())  # 8-bit values
    assert images.min() >= 0 and images.max() <= 255
    for k in range(1, 5):
        # at least 10 px wide and high (min_size), inside the frame
        ys, xs = torch.nonzero(masks[k, 0], as_tuple=True)
        assert len(ys) > 0
        assert ys.max() - ys.min() + 1 >= 9 and xs.max() - xs.min() + 1 >= 9
        # pasted with a hard alpha: red inside, away from blurred edges
        inside = images[k, 0][masks[k, 0] > 0]
        assert inside.float().median() > 200
    assert not torch.equal(masks[1], masks[2])


def test_background_is_inpainted_where_the_target_was():
    image, mask = _frame()
    aug = FRTMFirstFrameAugmenter(num_samples=4, scale=(0.5, ),
                                  rotation=(0, ), bg_scale=(1.0, ),
                                  bg_blur_size=(0.0, ))
    images, masks = aug(image, mask, rng=np.random.RandomState(3))
    for k in range(1, 4):
        old_spot = (mask > 0) & (masks[k, 0] == 0)
        assert old_spot.any()
        # the red target is gone from its old place: inpainted background
        assert images[k, 0][old_spot].max() < 200
        # far from both, the frame is untouched (no background warp/blur)
        near = torch.nn.functional.max_pool2d(masks[k], 9, 1, 4)[0] > 0
        far = torch.zeros_like(mask, dtype=torch.bool)
        far[30:, 40:] = True
        far &= ~near
        assert far.any()
        assert torch.equal(images[k][:, far], image[:, far])


def test_draws_follow_the_seed_and_the_authors_lists():
    image, mask = _frame()
    a = FRTMFirstFrameAugmenter()(image, mask, rng=np.random.RandomState(5))
    b = FRTMFirstFrameAugmenter()(image, mask, rng=np.random.RandomState(5))
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    aug = FRTMFirstFrameAugmenter()
    rng = np.random.RandomState(0)
    centres = aug.target_centres(5, (48, 64), rng)
    assert len(centres) == 5
    assert all(0 < x < 1 and 0 < y < 1 for x, y in centres)
    specs = aug.draw_specs(centres, rng)
    assert len(specs) == 19
    rotations = [fg['rotation'] for fg, _ in specs]
    # 19 of the 10 rotations repeated twice: each value at most twice
    assert all(rotations.count(r) <= 2 for r in set(rotations))
    assert {fg['scale'] for fg, _ in specs} <= {0.5, 0.7, 1.0, 1.5, 2.0,
                                                 2.5}
    assert all(bg['rotation'] == 0 for _, bg in specs)


def test_blur_kernel_is_a_directional_gaussian():
    k = blur_kernel(2.0, 0)
    assert k.shape == (3, 3) and abs(k.sum() - 1) < 1e-6
    # elongated along x at angle 0, along y at 90 degrees
    assert k[1, 0] > k[0, 1]
    assert np.allclose(blur_kernel(2.0, 90), k.T, atol=1e-6)
    assert blur_kernel(5.0, 45).shape == (7, 7)


def test_empty_mask_gives_copies_of_the_original():
    image, _ = _frame()
    images, masks = FRTMFirstFrameAugmenter(num_samples=3)(
        image, torch.zeros(1, 48, 64), rng=np.random.RandomState(0))
    assert masks.sum() == 0 and torch.equal(images[2], image)
