"""Real images for the tests of reading and searching by a photo: words painted with Pillow's own font."""

import hashlib
import io
import random

from django.core.files.base import ContentFile
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from profiles.models import Photo


def scene(seed: int, size=(640, 640)) -> Image.Image:
    """A made-up photo: a smooth background with a few coloured shapes, different for each seed."""
    rng = random.Random(seed)
    small = Image.new("RGB", (4, 4))
    small.putdata([tuple(rng.randrange(256) for _ in range(3)) for _ in range(16)])
    image = small.resize(size, Image.Resampling.BICUBIC)
    draw = ImageDraw.Draw(image)
    for _ in range(6):
        x, y = rng.randrange(size[0]), rng.randrange(size[1])
        box = (x, y, x + rng.randrange(60, 300), y + rng.randrange(60, 300))
        colour = tuple(rng.randrange(256) for _ in range(3))
        (draw.ellipse if rng.random() < 0.5 else draw.rectangle)(box, fill=colour)
    return image.filter(ImageFilter.GaussianBlur(1))


def with_words(image: Image.Image, text: str, *, size: int = 64) -> Image.Image:
    """The image with `text` painted on a white box across it, as on a sign."""
    image = image.copy()
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=size)
    box = draw.textbbox((40, image.height // 2), text, font=font)
    draw.rectangle((box[0] - 16, box[1] - 16, box[2] + 16, box[3] + 16), fill="white")
    draw.text((40, image.height // 2), text, font=font, fill="black")
    return image


def encoded(image: Image.Image, format: str = "JPEG", **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format, **options)
    return buffer.getvalue()


def photo_of(post, image: Image.Image, position: int = 1) -> Photo:
    """A stored photo of `post` whose file is `image`, as a JPEG."""
    data = encoded(image, quality=90)
    photo = Photo(post=post, position=position, sha256=hashlib.sha256(data).hexdigest())
    photo.image.save(f"{position}.jpg", ContentFile(data, name=f"{position}.jpg"), save=False)
    photo.save()
    return photo
