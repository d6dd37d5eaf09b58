"""Hungarian matcher against brute force; PointRend point sampling."""
import itertools

import pytest
import torch
import torch.nn.functional as F

from vostoolkit.models.task_modules import (
    calculate_uncertainty, get_uncertain_point_coords_with_randomness,
    point_sample)
from vostoolkit.registry import MATCHERS


def _pair_cost(cls_logits, mask_logits, label, gt_mask):
    """Plain per-pair cost: -2 p(c) + 5 BCE + 5 dice over the whole tube."""
    p = cls_logits.softmax(-1)[label]
    x, y = mask_logits.flatten(), gt_mask.flatten().float()
    bce = F.binary_cross_entropy_with_logits(x, y)
    s = x.sigmoid()
    dice = 1 - (2 * (s * y).sum() + 1) / (s.sum() + y.sum() + 1)
    return -2 * p + 5 * bce + 5 * dice


@pytest.mark.parametrize('num_queries,num_gt,seed', [(4, 3, 0), (3, 3, 1),
                                                     (5, 2, 2), (2, 3, 3)])
def test_matches_brute_force(num_queries, num_gt, seed):
    g = torch.Generator().manual_seed(seed)
    t, h, w, k = 2, 6, 5, 4
    cls_logits = torch.randn(num_queries, k + 1, generator=g)
    mask_logits = torch.randn(num_queries, t, h, w, generator=g) * 3
    labels = torch.randint(0, k, (num_gt,), generator=g)
    gt = torch.rand(num_gt, t, h, w, generator=g) > 0.6
    gt[0, 1] = False  # an occluded frame: empty mask
    matcher = MATCHERS.build(dict(type='HungarianMatcher', num_points=0))
    pred_idx, gt_idx = matcher.match(cls_logits, mask_logits, labels, gt)
    assert len(pred_idx) == min(num_queries, num_gt)
    costs = torch.tensor([[_pair_cost(cls_logits[q], mask_logits[q],
                                      labels[j], gt[j])
                           for j in range(num_gt)]
                          for q in range(num_queries)])
    torch.testing.assert_close(
        matcher.cost_matrix(cls_logits, mask_logits, labels, gt), costs,
        rtol=1e-5, atol=1e-5)
    best = min(
        sum(costs[q, j] for q, j in zip(perm, gts))
        for gts in itertools.permutations(range(num_gt),
                                          min(num_queries, num_gt))
        for perm in itertools.permutations(range(num_queries), len(gts)))
    ours = costs[pred_idx, gt_idx].sum()
    assert ours.item() == pytest.approx(float(best), abs=1e-5)
    assert len(set(pred_idx.tolist())) == len(pred_idx)
    assert len(set(gt_idx.tolist())) == len(gt_idx)


def test_point_sampled_costs_and_empty_ground_truth():
    torch.manual_seed(0)
    matcher = MATCHERS.build(dict(type='HungarianMatcher', num_points=50))
    cls_logits, masks = torch.randn(3, 3), torch.randn(3, 2, 8, 8)
    gt = torch.zeros(1, 2, 32, 32, dtype=torch.bool)
    gt[0, :, :16] = True
    pred_idx, gt_idx = matcher.match(cls_logits, masks, torch.tensor([1]), gt)
    assert pred_idx.shape == gt_idx.shape == (1,)
    pred_idx, gt_idx = matcher.match(cls_logits, masks,
                                     torch.zeros(0, dtype=torch.long),
                                     gt[:0])
    assert pred_idx.numel() == gt_idx.numel() == 0
    with pytest.raises(ValueError, match='frames'):
        matcher.cost_matrix(cls_logits, masks, torch.tensor([1]), gt[:, :1])


def test_point_sample_at_pixel_centres():
    img = torch.arange(12.).view(1, 1, 3, 4)
    coords = torch.tensor([[[(1 + .5) / 4, (2 + .5) / 3],
                            [(3 + .5) / 4, (0 + .5) / 3]]])
    out = point_sample(img, coords)
    assert out.shape == (1, 1, 2)
    torch.testing.assert_close(out[0, 0], torch.tensor([9., 3.]))


def test_importance_points_prefer_uncertain_region():
    torch.manual_seed(0)
    logits = torch.full((1, 1, 16, 16), 10.0)
    logits[..., :, 4:12] = 0.0  # the uncertain band, about half the map
    coords = get_uncertain_point_coords_with_randomness(
        logits, calculate_uncertainty, 40, 3.0, 0.75)
    assert coords.shape == (1, 40, 2)
    assert ((coords >= 0) & (coords <= 1)).all()
    # the 30 importance points (of 120 candidates, about 60 in the band)
    # all lie where the logits are not saturated
    x = coords[0, :30, 0]
    assert ((x > 3.5 / 16) & (x < 12.5 / 16)).all()
