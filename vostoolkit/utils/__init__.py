from .errors import DataError, ToolError
from .palette import davis_palette
from .rle import (is_finite_number, rle_problem, rle_problems, rle_total,
                  rle_totals)

__all__ = ['DataError', 'ToolError', 'davis_palette', 'rle_total',
           'rle_totals', 'rle_problem', 'rle_problems', 'is_finite_number']
