from .errors import DataError

__all__ = ['DataError']
