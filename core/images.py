"""Decoding images safely, in one place: what we are given (from Instagram, a folder or an upload), what
we store, and what the models read.

Every image photosearch reads goes through `image_opened`, so decompression bombs, unknown
formats and truncated files are refused the same way everywhere, with a reason a person can read.
An image of more than IMAGE_MAX_PIXELS is refused from its header, before a pixel is decoded, and
no more than IMAGE_DECODES_AT_ONCE images are decoded at once in a process: a few large photos
arriving together (searches by photo in a web process's threads) cannot take its memory.
`load_for_models` makes any of them a plain RGB image, upright, at most a few hundred pixels:
never an exception that takes a whole batch down.
"""

import hashlib
import io
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache

from django.conf import settings
from PIL import Image, ImageOps, UnidentifiedImageError

# What Instagram serves and instaloader saves; MPO is the multi-picture JPEG some phones write.
_EXTENSIONS = {"JPEG": "jpg", "MPO": "jpg", "PNG": "png", "WEBP": "webp"}


class ImageRefused(Exception):
    """These bytes cannot be used as a photo; the message says why, in plain words."""


@cache
def _decodes(at_once: int) -> threading.BoundedSemaphore:
    """The process's decoding slots (one semaphore per setting's value: tests change it)."""
    return threading.BoundedSemaphore(at_once)


@contextmanager
def image_opened(file) -> Iterator[Image.Image]:
    """The image in `file` (a path or a binary file), opened by Pillow; decoding errors become ImageRefused.

    Whatever the body does with the image (load, resize) is guarded too: Pillow decodes lazily. The
    body holds one of the process's decoding slots: the next image waits for one.
    """
    try:
        # Past MAX_IMAGE_PIXELS Pillow only warns; twice past it, it refuses. Refuse both.
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(file) as image:
                _refuse_too_many_pixels(image)
                with _decodes(settings.IMAGE_DECODES_AT_ONCE):
                    yield image
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageRefused("too many pixels to decode safely (a decompression bomb?)") from None
    except UnidentifiedImageError:
        raise ImageRefused("not an image") from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:  # Pillow's ways of saying "truncated or corrupt"
        raise ImageRefused(f"truncated or corrupt image ({exc})") from None


def _refuse_too_many_pixels(image: Image.Image) -> None:
    """ImageRefused when the header announces more than IMAGE_MAX_PIXELS (of any frame: they share its size)."""
    limit = settings.IMAGE_MAX_PIXELS
    if image.width * image.height > limit:
        raise ImageRefused(
            f"too many pixels to decode safely: {image.width:,} x {image.height:,}, more than"
            f" {limit / 1e6:g} megapixels (a decompression bomb?)"
        )


@dataclass(frozen=True)
class CheckedImage:
    data: bytes
    extension: str
    sha256: str
    perceptual_hash: str


def image_check(data: bytes) -> CheckedImage:
    """Decode every pixel of `data` (so a truncated file fails here, not later) and hash it."""
    with image_opened(io.BytesIO(data)) as image:
        if image.format not in _EXTENSIONS:
            raise ImageRefused(f"{image.format} images are not accepted")
        image.load()
        return CheckedImage(
            data=data,
            extension=_EXTENSIONS[image.format],
            sha256=hashlib.sha256(data).hexdigest(),
            perceptual_hash=difference_hash(image),
        )


def difference_hash(image: Image.Image) -> str:
    """A 64-bit perceptual hash (dHash), as 16 hex digits: near-identical images differ in few bits."""
    small = image.convert("L").resize((9, 8), Image.Resampling.LANCZOS)
    pixels = list(small.get_flattened_data())
    bits = 0
    for row in range(8):
        for column in range(8):
            left, right = pixels[row * 9 + column], pixels[row * 9 + column + 1]
            bits = (bits << 1) | (left > right)
    return f"{bits:016x}"


# The models look at 224-384 px; decoding more is wasted time. JPEGs decode at reduced size directly.
MAX_SIDE = 512


def load_for_models(file, max_side: int = MAX_SIDE, *, accepted_only: bool = False) -> Image.Image:
    """An RGB copy of the first frame of `file` (a path or a binary file), EXIF orientation applied.

    Decoded once, at the size the models need where the format allows (JPEG). With `accepted_only`, a
    format photosearch does not store (GIF, say) is refused as image_check refuses it.
    """
    with image_opened(file) as image:
        if accepted_only and image.format not in _EXTENSIONS:
            raise ImageRefused(f"{image.format} images are not accepted")
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
