import pytest
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.management import call_command

from jobs.models import Job
from profiles.models import Photo, Tracking
from profiles.tests.factories import described, make_post, make_profile
from search.indexing import photo_text, photos_index
from search.ml import registry
from search.services import photos_search
from search.tests.images import photo_of, scene, with_words


@pytest.fixture
def reader(settings):
    """The real reader, RapidOCR with the models its wheel ships; the other roles stay tiny."""
    settings.OCR_ENGINE = "rapidocr"
    settings.IMAGE_TEXT_MODEL = settings.DESCRIPTION_MODEL = ""  # what is read is what these tests pin down


def test_the_reader_is_loaded_once_per_process_and_kept(reader):
    assert registry.get("reader") is registry.get("reader")


@pytest.mark.django_db
def test_it_stores_the_words_read_in_a_photo_and_who_read_them(reader):
    photo = photo_of(make_post(), with_words(scene(1), "BOULANGERIE"))
    result = photos_index(photo_ids=[photo.pk])
    photo.refresh_from_db()
    assert result.indexed == [photo.pk]
    assert "BOULANGERIE" in photo.ocr_text.upper()
    assert photo.ocr_model == "rapidocr"
    assert "BOULANGERIE" in photo_text(photo).upper()  # so the text vector holds it too


@pytest.mark.django_db
def test_a_photo_without_words_stores_no_text_and_no_error(reader):
    photo = photo_of(make_post(), scene(2))
    photos_index(photo_ids=[photo.pk])
    photo.refresh_from_db()
    assert (photo.ocr_text, photo.ocr_model, photo.index_error) == ("", "rapidocr", "")


@pytest.mark.django_db
def test_rotated_words_are_read_without_error(reader):
    photo = photo_of(make_post(), with_words(scene(3), "LIGHTHOUSE").rotate(90, expand=True))
    photos_index(photo_ids=[photo.pk])
    photo.refresh_from_db()
    assert photo.index_error == ""
    assert "LIGHTHOUSE" in photo.ocr_text.upper()


@pytest.mark.django_db
def test_an_unreadable_image_fails_alone_and_nothing_read_is_stored(reader):
    post = make_post()
    good = photo_of(post, with_words(scene(4), "HARBOUR"))
    bad = photo_of(post, scene(5), position=2)
    bad.image.save("broken.jpg", ContentFile(b"\xff\xd8\xff\xe0 not a jpeg", name="broken.jpg"))
    result = photos_index(photo_ids=[good.pk, bad.pk])
    bad.refresh_from_db()
    assert result.indexed == [good.pk] and list(result.failed) == [bad.pk]
    assert (bad.ocr_text, bad.ocr_model, bad.image_hashes) == ("", "", [])


@pytest.mark.django_db
def test_a_search_for_words_in_a_photo_finds_it_and_says_where_they_were(reader):
    user, signs = tracked_profile()
    photo_of(make_post(profile=signs, shortcode="Sign", caption="A morning walk"), with_words(scene(6), "FROMAGERIE"))
    photo_of(make_post(profile=signs, shortcode="Plain", caption="A morning walk"), scene(7))
    photos_index(photo_ids=list(Photo.objects.values_list("pk", flat=True)))
    result = photos_search(user=user, query="fromagerie")
    assert result.hits[0].post.shortcode == "Sign"
    assert [match.field for match in result.hits[0].matched] == ["text in the photo"]
    assert "FROMAGERIE" in result.hits[0].matched[0].excerpt.upper()


@pytest.mark.django_db
def test_the_api_and_the_photo_page_show_the_text_in_the_photo(reader, client):
    user, signs = tracked_profile()
    photo = photo_of(make_post(profile=signs, shortcode="Sign"), with_words(scene(9), "PHARMACY"))
    photos_index(photo_ids=[photo.pk])
    client.force_login(user)
    found = client.get("/api/search", {"q": "pharmacy"}).json()["results"][0]
    assert "PHARMACY" in found["text_in_photo"].upper()
    page = client.get(f"/photos/{photo.pk}/").content.decode()
    assert "Text in the photo:" in page and "PHARMACY" in page.upper()


def test_reindex_of_the_reader_reads_every_photo_again(reader, transactional_db, celery_worker, capsys):
    photo = photo_of(make_post(), with_words(scene(8), "MUSEUM"))
    photos_index(photo_ids=[photo.pk])
    Photo.objects.update(ocr_text="stale words")
    call_command("reindex", "--role", "reader", "--force")
    assert "Queued 1 searchable photos for their description and reading." in capsys.readouterr().out
    described()  # the second pass reads, on the describe queue; the photo stays searchable meanwhile
    assert not Job.objects.exists()
    photo.refresh_from_db()
    assert "MUSEUM" in photo.ocr_text.upper() and photo.ocr_model == "rapidocr" and photo.text_embedding_model


def tracked_profile():
    """A user, and a profile they track."""
    user = get_user_model().objects.create_user("reader")
    profile = make_profile("signs")
    Tracking.objects.create(user=user, profile=profile)
    return user, profile
