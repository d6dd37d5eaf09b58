from .msdeform_pixel_decoder import MSDeformAttnPixelDecoder

__all__ = ['MSDeformAttnPixelDecoder']
