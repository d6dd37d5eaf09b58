from .errors import DataError
from .palette import davis_palette

__all__ = ['DataError', 'davis_palette']
