import io
import random
import struct
import zlib

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from PIL import Image, ImageFile, ImageOps

from profiles.models import Photo, Tracking
from profiles.tests.factories import make_post, make_profile
from search.by_image import image_upload_read, photos_by_image
from search.indexing import photos_index
from search.tests.images import encoded, photo_of, scene
from search.tests.screenshots import PHONES, Shot, phone_screenshot

pytestmark = pytest.mark.django_db


def screenshot(image):
    """The photo as a phone shows it: full width on a white screen, a clock above, saved smaller."""
    phone = Image.new("RGB", (750, 1334), "white")
    phone.paste(image.resize((750, 750)), (0, 280))
    return phone.resize((375, 667))


COPIES = {
    "resized": lambda image: image.resize((240, 240)),
    "cropped": lambda image: image.crop((40, 20, 600, 610)),
    "recompressed": lambda image: Image.open(io.BytesIO(encoded(image, quality=20))),
    "mirrored": ImageOps.mirror,
    "grey": ImageOps.grayscale,
    "screenshot": screenshot,
}


@pytest.fixture
def library(settings):
    """Ana tracks @gallery (8 indexed photos); @other's photo is stored and indexed but not hers."""
    settings.IMAGE_TEXT_MODEL = settings.DESCRIPTION_MODEL = ""  # the perceptual path alone
    ana = get_user_model().objects.create_user("ana")
    gallery = make_profile("gallery")
    Tracking.objects.create(user=ana, profile=gallery)
    for seed in range(8):
        photo_of(make_post(profile=gallery, shortcode=f"Post{seed}"), scene(seed))
    photo_of(make_post(profile=make_profile("other"), shortcode="NotHers"), scene(100))
    photos_index(photo_ids=list(Photo.objects.values_list("pk", flat=True)))
    return ana


def upload(image, format="PNG") -> io.BytesIO:
    file = io.BytesIO(encoded(image.convert("RGB"), format))
    file.name = f"query.{format.lower()}"
    return file


@pytest.mark.parametrize("copy", list(COPIES))
def test_the_same_photo_comes_first_whatever_was_done_to_the_copy(library, copy):
    result = photos_by_image(user=library, image=image_upload_read(upload(COPIES[copy](scene(3)))))
    assert result.hits[0].post.shortcode == "Post3"
    assert result.hits[0].signals == ["same"]


@pytest.mark.parametrize(
    "shot",
    [
        Shot(PHONES[0], "light", feed=False, sent_on=False),
        Shot(PHONES[1], "dark", feed=True, sent_on=False),
        Shot(PHONES[3], "dim", feed=True, sent_on=True),
        Shot(PHONES[4], "light", feed=True, sent_on=True),
    ],
    ids=lambda shot: f"{shot.theme}-{'feed' if shot.feed else 'post'}-{'sent' if shot.sent_on else 'png'}",
)
def test_a_phone_screenshot_of_the_app_finds_its_post_first(library, shot):
    # The app's chrome around the photo: status bar, headers with text and an avatar, icons, the
    # caption; in a feed, the end of another of her posts above and the start of one below.
    data = phone_screenshot(scene(5), random.Random(7), shot, other=scene(6))
    result = photos_by_image(user=library, image=image_upload_read(io.BytesIO(data)))
    assert result.hits[0].post.shortcode == "Post5"
    assert result.hits[0].signals == ["same"]


def test_a_photo_with_plain_top_and_bottom_lines_is_still_found_whole(library):
    # A photo on a white backdrop looks like a screenshot at its edges: it is still hashed whole too.
    framed = Image.new("RGB", (700, 900), "white")
    framed.paste(scene(50).resize((700, 700)), (0, 100))
    photo_of(make_post(profile=Tracking.objects.get().profile, shortcode="Backdrop"), framed)
    photos_index(photo_ids=list(Photo.objects.filter(post__shortcode="Backdrop").values_list("pk", flat=True)))
    result = photos_by_image(user=library, image=image_upload_read(upload(framed.resize((350, 450)))))
    assert result.hits[0].post.shortcode == "Backdrop"


def test_photos_that_look_alike_follow_the_copies_when_the_image_text_model_is_on(library, settings, tiny_models):
    settings.IMAGE_TEXT_MODEL = str(tiny_models / "clip")
    photos_index(photo_ids=list(Photo.objects.values_list("pk", flat=True)))
    result = photos_by_image(user=library, image=image_upload_read(upload(scene(5))))
    assert result.hits[0].post.shortcode == "Post5" and result.hits[0].signals == ["same"]
    assert len(result.hits) == 8 and {hit.signals[0] for hit in result.hits[1:]} == {"alike"}


def test_only_photos_of_tracked_profiles_are_compared(library):
    result = photos_by_image(user=library, image=image_upload_read(upload(scene(100))))
    assert "NotHers" not in [hit.post.shortcode for hit in result.hits]


def test_the_api_finds_the_photo_and_stores_nothing(library, client, media_root):
    client.force_login(library)
    files_before = sorted(media_root.rglob("*"))
    response = client.post("/api/search/by-image", {"image": upload(ImageOps.mirror(scene(2)), "JPEG")})
    assert response.status_code == 200
    assert response.json()["results"][0]["post"] == "Post2"
    assert response.json()["results"][0]["signals"] == ["same"]
    assert Photo.objects.count() == 9 and sorted(media_root.rglob("*")) == files_before


def bomb_png(width=40_000, height=40_000) -> io.BytesIO:
    """A PNG whose header claims 1.6 billion pixels: refused before any is decoded."""

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    file = io.BytesIO(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b""))
    file.name = "bomb.png"
    return file


def named(data: bytes, name: str) -> io.BytesIO:
    file = io.BytesIO(data)
    file.name = name
    return file


@pytest.mark.parametrize(
    ("file", "says"),
    [
        (lambda: named(b"%PDF-1.7 not a photo", "notes.pdf"), "not an image"),
        (lambda: named(encoded(scene(1), "GIF"), "anim.gif"), "GIF images are not accepted"),
        (lambda: bomb_png(), "decompression bomb"),
        (lambda: named(encoded(scene(1), "PNG")[:3000], "cut.png"), "truncated or corrupt"),
    ],
    ids=["not-an-image", "gif", "bomb", "truncated"],
)
def test_the_api_refuses_a_bad_upload_with_a_sentence(library, client, file, says):
    client.force_login(library)
    response = client.post("/api/search/by-image", {"image": file()})
    assert response.status_code == 400
    assert says in response.json()["detail"]


def test_a_png_of_88_megapixels_is_refused_at_once_from_its_header(library, client, settings, monkeypatch):
    settings.IMAGE_MAX_PIXELS = 40_000_000
    client.force_login(library)

    def decode(self):
        raise AssertionError("a pixel was decoded")

    # Refused from its header: not one pixel decoded (bench/hostile_uploads.py measures the time and memory).
    monkeypatch.setattr(ImageFile.ImageFile, "load", decode)
    response = client.post("/search/by-image/", {"image": bomb_png(11_000, 8_000)})
    assert response.status_code == 400
    assert "too many pixels to decode safely: 11,000 x 8,000, more than 40 megapixels" in response.text


def test_the_api_refuses_a_photo_over_the_size_limit(library, client, settings):
    settings.SEARCH_IMAGE_MAX_BYTES = 2048
    client.force_login(library)
    response = client.post("/api/search/by-image", {"image": upload(scene(1))})
    # Refused at the door (photosearch.middleware): the request is over the limit before it is read.
    assert response.status_code == 413 and "too big" in response.json()["detail"]


def test_the_api_asks_for_a_photo_when_none_is_sent(library, client):
    client.force_login(library)
    response = client.post("/api/search/by-image", {})
    assert response.status_code == 400 and response.json()["detail"] == "Choose a photo to search with."


def test_the_search_page_takes_a_photo_in_a_plain_form(library, client):
    client.force_login(library)
    page = client.get("/search/").content.decode()
    assert 'enctype="multipart/form-data"' in page and 'action="/search/by-image/"' in page
    response = client.post("/search/by-image/", {"image": upload(COPIES["screenshot"](scene(6)))})
    assert response.status_code == 200
    assert response.context["result"].hits[0].post.shortcode == "Post6"
    assert "The same photo" in response.content.decode()


def test_the_search_page_says_why_it_refuses_a_file(library, client):
    client.force_login(library)
    response = client.post("/search/by-image/", {"image": named(b"plain text", "notes.txt")})
    assert response.status_code == 400
    assert "This file cannot be searched with: not an image." in response.content.decode()


def test_the_search_command_searches_with_a_photo(library, tmp_path, capsys):
    path = tmp_path / "copy.jpg"
    path.write_bytes(encoded(ImageOps.grayscale(scene(4)), "JPEG"))
    call_command("search", "--image", str(path), "--user", "ana")
    first = capsys.readouterr().out.splitlines()[0]
    assert "Post4" in first and "same photo" in first


def test_the_search_command_wants_words_or_a_photo_not_both(library):
    with pytest.raises(CommandError, match="one of them"):
        call_command("search", "boat", "--image", "x.jpg")


def test_without_the_image_text_model_the_page_says_what_a_search_by_a_photo_goes_without(library, client, settings):
    settings.IMAGE_TEXT_MODEL = "google/siglip2-base-patch32-256"  # configured, not on this machine
    library.is_staff = True  # staff get the details; others one quiet line
    library.save(update_fields=["is_staff"])
    client.force_login(library)
    page = client.post("/search/by-image/", {"image": upload(COPIES["grey"](scene(3)))}).content.decode()
    assert "Copies of your photo are found; photos that only look like it need a model that is missing." in page
    assert "This search used words only." not in page


def test_without_the_image_text_model_a_user_reads_that_only_copies_are_found(library, client, settings):
    settings.IMAGE_TEXT_MODEL = "google/siglip2-base-patch32-256"
    client.force_login(library)
    page = client.post("/search/by-image/", {"image": upload(COPIES["grey"](scene(3)))}).content.decode()
    assert "Only copies of your photo are found until the models are installed." in page
    assert "a model that is missing" not in page
