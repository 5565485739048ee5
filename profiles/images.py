"""Decoding an image we are given (from Instagram or a folder) safely, and the hashes kept with it."""

import hashlib
import io
import warnings
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

# What Instagram serves and instaloader saves; MPO is the multi-picture JPEG some phones write.
_EXTENSIONS = {"JPEG": "jpg", "MPO": "jpg", "PNG": "png", "WEBP": "webp"}


class ImageRefused(Exception):
    """The bytes are not an image we keep; the message says why, in plain words."""


@dataclass(frozen=True)
class CheckedImage:
    data: bytes
    extension: str
    width: int
    height: int
    sha256: str
    perceptual_hash: str


def image_check(data: bytes) -> CheckedImage:
    """Decode every pixel of `data` (so a truncated file fails here, not later) and hash it."""
    try:
        # Pillow warns between MAX_IMAGE_PIXELS and twice that, and raises above: both are refused.
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                if image.format not in _EXTENSIONS:
                    raise ImageRefused(f"{image.format} images are not accepted")
                image.load()
                return CheckedImage(
                    data=data,
                    extension=_EXTENSIONS[image.format],
                    width=image.width,
                    height=image.height,
                    sha256=hashlib.sha256(data).hexdigest(),
                    perceptual_hash=difference_hash(image),
                )
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageRefused("too many pixels to decode safely (a decompression bomb?)") from None
    except UnidentifiedImageError:
        raise ImageRefused("not an image") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise ImageRefused(f"truncated or corrupt image ({exc})") from None


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
