"""vostoolkit: video object and instance segmentation on MMEngine."""
from .version import __version__

__all__ = ['__version__']
