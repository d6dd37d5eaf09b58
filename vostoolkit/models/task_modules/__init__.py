from .hungarian_matcher import (HungarianMatcher, pairwise_dice,
                                pairwise_sigmoid_bce)
from .point_sample import (calculate_uncertainty,
                           get_uncertain_point_coords_with_randomness,
                           point_sample)

__all__ = [
    'HungarianMatcher', 'pairwise_sigmoid_bce', 'pairwise_dice',
    'point_sample', 'calculate_uncertainty',
    'get_uncertain_point_coords_with_randomness'
]
