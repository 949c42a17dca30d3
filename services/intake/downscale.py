"""Shrinking a decoded photo without a second full-size copy of it.

Pillow's resize first resamples every row to the new width, an intermediate image as tall as
the original, and converts a whole RGBA image to premultiplied alpha before that; palette and
bilevel images must be converted whole to resize smoothly at all. Here the output is made a
band of rows at a time: each band of the original (with the rows its filter reaches into) is
cropped, converted and resampled on its own, so next to the decoded original only the small
output and one band are ever held. The result is a whole-image resize's, to rounding: each
band is resampled with its share of the same source box, and its crop holds every row the
filter reads.
"""

import math

from PIL import Image

BAND_PIXELS = 500_000  # source pixels of one band: 2 MB at Pillow's 4 bytes a pixel
FILTER = Image.Resampling.BICUBIC
FILTER_REACH = 2  # bicubic reads two source pixels either side, times the shrink factor


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (
        image.mode == "P" and "transparency" in image.info
    )


def _resampling_mode(band: Image.Image, alpha: bool) -> Image.Image:
    """RGB, or RGB with premultiplied alpha (RGBa), the modes resampling is right in."""
    if not alpha:
        return band if band.mode == "RGB" else band.convert("RGB")
    rgba = band if band.mode in ("RGBA", "RGBa") else band.convert("RGBA")
    return rgba if rgba.mode == "RGBa" else rgba.convert("RGBa")


def shrink(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    """`image` resampled to `size` (no larger than it) as RGB, or RGBA when it has alpha;
    `info` (EXIF orientation among it) is kept."""
    alpha = _has_alpha(image)
    if size == image.size:
        wanted = "RGBA" if alpha else "RGB"
        out = image if image.mode == wanted else image.convert(wanted)
    else:
        out = Image.new("RGBA" if alpha else "RGB", size)
        scale = image.height / size[1]
        reach = math.ceil(FILTER_REACH * max(scale, 1.0)) + 1
        rows = max(1, int(BAND_PIXELS / (image.width * scale)))  # output rows per band
        for top in range(0, size[1], rows):
            bottom = min(top + rows, size[1])
            first, last = top * scale, bottom * scale
            crop_top = max(0, math.floor(first) - reach)
            crop = image.crop(
                (0, crop_top, image.width, min(image.height, math.ceil(last) + reach))
            )
            band = _resampling_mode(crop, alpha).resize(
                (size[0], bottom - top),
                FILTER,
                box=(0, first - crop_top, image.width, last - crop_top),
            )
            out.paste(band.convert(out.mode) if band.mode != out.mode else band, (0, top))
    out.info = dict(image.info)
    return out
