"""Decode a stored photo into what the models read: an RGB image, upright, at most a few hundred pixels.

Pillow only, through the one safe decoder (profiles.images.image_opened). Anything Instagram or an
instaloader folder can hand us is either made into a plain RGB image or refused with a reason a
person can read (ImageRefused); never an exception that takes a whole batch down.
"""

from PIL import Image, ImageOps

from profiles.images import image_opened

# The models look at 224-384 px; decoding more is wasted time. JPEGs decode at reduced size directly.
MAX_SIDE = 512


def load_for_models(file, max_side: int = MAX_SIDE) -> Image.Image:
    """An RGB copy of the first frame of `file` (a path or a binary file), EXIF orientation applied."""
    with image_opened(file) as image:
        image.seek(0)  # animated GIF/WebP/PNG: the first frame
        image.draft("RGB", (max_side, max_side))  # JPEG: let the decoder scale down (1/2, 1/4, 1/8)
        image = ImageOps.exif_transpose(image)
        image = _to_rgb(image)
        image.thumbnail((max_side, max_side), Image.Resampling.BICUBIC)
        image.load()
        return image


def _to_rgb(image: Image.Image) -> Image.Image:
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        # 16-bit (or 32-bit integer) greyscale: scale into 8 bits rather than clipping to white.
        image = image.convert("I").point(lambda value: value * (1 / 256)).convert("L")
    if image.mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    if image.mode in ("RGBA", "LA", "PA"):
        # Transparent areas become white, as a viewer would show them, not black.
        background = Image.new("RGB", image.size, (255, 255, 255))
        background.paste(image.convert("RGBA"), mask=image.convert("RGBA").getchannel("A"))
        return background
    return image.convert("RGB")
