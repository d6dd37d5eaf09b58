from vostoolkit.utils.palette import davis_palette

from .overlay import clip_titles, draw_title, overlay_sample, write_clip

__all__ = ['davis_palette', 'overlay_sample', 'clip_titles', 'draw_title',
           'write_clip']
