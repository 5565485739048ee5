import io

import pytest
from PIL import Image

from core.images import ImageRefused, image_check
from profiles.tests.factories import jpeg_bytes


def png_bytes(size) -> bytes:
    buffer = io.BytesIO()
    Image.new("1", size).save(buffer, format="PNG")
    return buffer.getvalue()


def test_it_names_the_format_and_hashes_a_good_image():
    data = jpeg_bytes(size=(64, 48))
    image = image_check(data)
    assert (image.data, image.extension) == (data, "jpg")
    assert len(image.sha256) == 64 and len(image.perceptual_hash) == 16


def test_it_refuses_a_truncated_image():
    data = jpeg_bytes(size=(300, 200))
    with pytest.raises(ImageRefused, match="truncated or corrupt"):
        image_check(data[: len(data) // 2])


def test_it_refuses_what_is_not_an_image():
    with pytest.raises(ImageRefused, match="not an image"):
        image_check(b"<html>Please wait a few minutes</html>")


def test_it_refuses_a_decompression_bomb(monkeypatch):
    # Pillow's own limit, lowered so the bomb can stay small in the test.
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 10_000)
    with pytest.raises(ImageRefused, match="decompression bomb"):
        image_check(png_bytes((150, 100)))


def test_it_gives_near_identical_images_the_same_perceptual_hash_and_different_ones_another():
    red = image_check(jpeg_bytes(color=(200, 30, 30), size=(640, 480)))
    red_smaller = image_check(jpeg_bytes(color=(200, 30, 30), size=(320, 240)))
    halves = Image.new("RGB", (64, 48), (0, 0, 0))
    halves.paste((255, 255, 255), (0, 0, 32, 48))  # bright left of dark: dHash bits set
    buffer = io.BytesIO()
    halves.save(buffer, format="JPEG")
    assert red.perceptual_hash == red_smaller.perceptual_hash
    assert image_check(buffer.getvalue()).perceptual_hash != red.perceptual_hash
