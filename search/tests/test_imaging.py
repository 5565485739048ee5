import io

import pytest
from PIL import Image

from core.images import ImageRefused, load_for_models


def encoded(image: Image.Image, format: str, **options) -> io.BytesIO:
    buffer = io.BytesIO()
    image.save(buffer, format=format, **options)
    buffer.seek(0)
    return buffer


def test_it_turns_the_photo_upright_from_its_exif_orientation():
    image = Image.new("RGB", (200, 100), "red")
    exif = image.getexif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    assert load_for_models(encoded(image, "JPEG", exif=exif)).size == (100, 200)


def test_it_scales_a_large_photo_down_keeping_its_shape():
    assert load_for_models(encoded(Image.new("RGB", (3000, 1500), "blue"), "JPEG")).size == (512, 256)


def test_it_makes_cmyk_rgb():
    result = load_for_models(encoded(Image.new("CMYK", (40, 40), (0, 255, 255, 0)), "JPEG"))
    assert result.mode == "RGB"
    red, green, blue = result.getpixel((20, 20))
    assert red > 200 and green < 60 and blue < 60


def test_it_puts_transparency_on_white():
    image = Image.new("RGBA", (40, 40), (0, 0, 0, 0))
    result = load_for_models(encoded(image, "PNG"))
    assert result.mode == "RGB"
    assert result.getpixel((5, 5)) == (255, 255, 255)


def test_it_reads_a_palette_image_with_a_transparent_colour():
    image = Image.new("P", (40, 40), 0)
    image.putpalette([0, 255, 0] + [0, 0, 0] * 255)
    result = load_for_models(encoded(image, "PNG", transparency=0))
    assert result.getpixel((1, 1)) == (255, 255, 255)


def test_it_scales_16_bit_greyscale_into_8_bits():
    image = Image.new("I;16", (40, 40), 32768)
    result = load_for_models(encoded(image, "PNG"))
    assert result.mode == "RGB"
    assert 120 <= result.getpixel((3, 3))[0] <= 135


def test_it_takes_the_first_frame_of_an_animation():
    frames = [Image.new("RGB", (40, 40), colour) for colour in ("red", "blue")]
    gif = encoded(frames[0], "GIF", save_all=True, append_images=frames[1:])
    red, _, blue = load_for_models(gif).getpixel((20, 20))
    assert red > 200 and blue < 50


def test_it_refuses_a_truncated_file_with_a_reason():
    data = encoded(Image.effect_noise((300, 300), 50).convert("RGB"), "JPEG").getvalue()
    with pytest.raises(ImageRefused, match="truncated or corrupt"):
        load_for_models(io.BytesIO(data[: len(data) // 2]))


def test_it_refuses_a_file_that_is_not_an_image():
    with pytest.raises(ImageRefused, match="not an image"):
        load_for_models(io.BytesIO(b"<html>Please wait a few minutes before you try again.</html>"))


def test_it_refuses_a_decompression_bomb(monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)  # the bomb: a 64x64 image counts as huge now
    with pytest.raises(ImageRefused, match="too many pixels"):
        load_for_models(encoded(Image.new("RGB", (64, 64)), "PNG"))
