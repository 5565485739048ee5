import io
import threading

import pytest
from PIL import Image

from core.images import ImageRefused, image_check, image_opened, load_for_models


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


def test_it_refuses_an_image_of_too_many_pixels_from_its_header_before_decoding_it(settings):
    settings.IMAGE_MAX_PIXELS = 10_000
    cut = encoded(Image.effect_noise((200, 100), 50).convert("RGB"), "PNG").getvalue()[:200]  # no pixels to decode
    with pytest.raises(ImageRefused, match=r"too many pixels to decode safely: 200 x 100, more than 0\.01 megapixels"):
        load_for_models(io.BytesIO(cut))


def test_photos_from_instagram_or_a_folder_are_held_to_the_same_pixel_limit(settings):
    settings.IMAGE_MAX_PIXELS = 10_000
    with pytest.raises(ImageRefused, match="too many pixels"):
        image_check(encoded(Image.new("RGB", (200, 100)), "JPEG").getvalue())
    assert image_check(encoded(Image.new("RGB", (100, 100)), "JPEG").getvalue()).extension == "jpg"


def test_no_more_images_than_allowed_are_decoded_at_once(settings):
    settings.IMAGE_DECODES_AT_ONCE = 1
    data = encoded(Image.new("RGB", (20, 20)), "PNG").getvalue()
    first_open, second_open, release = threading.Event(), threading.Event(), threading.Event()

    def decode(opened: threading.Event, hold: bool):
        with image_opened(io.BytesIO(data)):
            opened.set()
            if hold:
                release.wait(5)

    holder = threading.Thread(target=decode, args=(first_open, True))
    holder.start()
    assert first_open.wait(5)
    waiter = threading.Thread(target=decode, args=(second_open, False))
    waiter.start()
    assert not second_open.wait(0.3)  # waits for the slot the first one holds
    release.set()
    assert second_open.wait(5)
    holder.join(5), waiter.join(5)
