"""Decoding images safely, in one place: what we are given (from Instagram or a folder) and what we store.

Every image photosearch reads goes through `image_opened`, so decompression bombs, unknown
formats and truncated files are refused the same way everywhere, with a reason a person can read.
"""

import hashlib
import io
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

# What Instagram serves and instaloader saves; MPO is the multi-picture JPEG some phones write.
_EXTENSIONS = {"JPEG": "jpg", "MPO": "jpg", "PNG": "png", "WEBP": "webp"}


class ImageRefused(Exception):
    """These bytes cannot be used as a photo; the message says why, in plain words."""


@contextmanager
def image_opened(file) -> Iterator[Image.Image]:
    """The image in `file` (a path or a binary file), opened by Pillow; decoding errors become ImageRefused.

    Whatever the body does with the image (load, resize) is guarded too: Pillow decodes lazily.
    """
    try:
        # Past MAX_IMAGE_PIXELS Pillow only warns; twice past it, it refuses. Refuse both.
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(file) as image:
                yield image
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageRefused("too many pixels to decode safely (a decompression bomb?)") from None
    except UnidentifiedImageError:
        raise ImageRefused("not an image") from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:  # Pillow's ways of saying "truncated or corrupt"
        raise ImageRefused(f"truncated or corrupt image ({exc})") from None


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
