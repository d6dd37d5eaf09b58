"""The one overlay / colour module: drawing predictions and ground truth
over frames (:mod:`.draw`) and streaming video writers (:mod:`.writers`)."""
from vostoolkit.utils.palette import davis_palette

from .draw import (VOID_COLOUR, blend_mask, clip_titles, draw_id_map,
                   draw_instances, draw_label, draw_title, draw_vis_frame,
                   instance_colour, instance_text, overlay_sample)
from .writers import (BaseFrameWriter, FrameFolderWriter, GIFWriter,
                      MP4Writer, open_video_writer, resize_long_edge)

__all__ = [
    'davis_palette', 'VOID_COLOUR', 'blend_mask', 'clip_titles',
    'draw_id_map', 'draw_instances', 'draw_label', 'draw_title',
    'draw_vis_frame', 'instance_colour', 'instance_text', 'overlay_sample',
    'BaseFrameWriter', 'FrameFolderWriter', 'GIFWriter', 'MP4Writer',
    'open_video_writer', 'resize_long_edge'
]
