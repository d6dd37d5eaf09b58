from .errors import DataError, ToolError
from .palette import davis_palette
from .rle import is_finite_number, rle_problem, rle_total

__all__ = ['DataError', 'ToolError', 'davis_palette', 'rle_total',
           'rle_problem', 'is_finite_number']
