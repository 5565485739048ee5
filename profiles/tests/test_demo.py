"""`manage.py load_demo`: the demo profile through the instaloader-folder import, idempotent, searchable."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from conftest import PASSWORD
from jobs.models import Job
from jobs.selectors import profile_state
from profiles.models import InstagramProfile, Photo, Post, Tracking
from profiles.services.demo import DEMO_FOLDER
from profiles.tests.factories import settled


def load_demo(*args) -> str:
    out = StringIO()
    call_command("load_demo", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def rows():
    return (
        sorted(Post.objects.values_list("shortcode", "taken_at", "caption", "location_name", "kind")),
        sorted(Photo.objects.values_list("post__shortcode", "position", "sha256", "alt_text")),
        sorted(Tracking.objects.values_list("user__username", "profile__username")),
        sorted(Job.objects.values_list("kind", "progress_total")),
    )


@pytest.mark.django_db
def test_loading_the_demo_twice_gives_the_same_rows(django_user_model):
    django_user_model.objects.create_user("ada", "ada@example.org", "a-long-passphrase-42")
    load_demo()
    first = rows()
    assert "0 new photos" in load_demo()
    assert rows() == first
    assert (len(first[0]), len(first[1]), first[2]) == (27, 30, [("ada", "photosearch_demo")])


@pytest.mark.django_db
def test_the_demo_profile_is_marked_as_such_and_up_to_date():
    load_demo()
    profile = InstagramProfile.objects.get()
    assert (profile.username, profile.is_demo) == ("photosearch_demo", True)
    assert profile_state(profile).label == "Indexing 0/30 photos"  # until the ml worker has read them
    Job.objects.filter(kind=Job.Kind.INDEX).update(status=Job.Status.DONE)
    assert profile_state(profile).status == "ready"
    assert Post.objects.filter(location_name="Pikolo Espresso Bar", mentions=["pikolo_espresso"]).count() == 1
    assert Photo.objects.filter(alt_text__startswith="May be an image of").count() == 29


@pytest.mark.django_db
def test_if_empty_leaves_a_database_with_posts_alone():
    load_demo()
    Post.objects.filter(kind=Post.Kind.CAROUSEL).delete()
    assert "the demo is not loaded" in load_demo("--if-empty")
    assert Post.objects.count() == 25


def test_every_demo_photo_has_its_credit():
    credits = (DEMO_FOLDER.parent / "CREDITS.md").read_text()
    images = sorted(file.name for file in DEMO_FOLDER.glob("*.jpg"))
    assert len(images) == 30  # 29 photographs and the reel's cover
    assert [name for name in images if f"| {name} |" not in credits and f"| {name}," not in credits] == []


def test_after_load_demo_at_least_20_photos_are_searchable(celery_worker, tiny_models):
    load_demo()
    job = settled(Job.objects.get(kind=Job.Kind.INDEX), timeout=120)
    # 29 photographs, the reel's cover and the 8 frames kept of the reel (its scene changes, then a frame a second).
    assert (job.status, job.message) == (Job.Status.DONE, "38 photos indexed.")
    searchable = Photo.objects.filter(image_embedding__isnull=False, text_embedding__isnull=False)
    assert searchable.exclude(search_vector=None).count() >= 20


@pytest.mark.django_db
def test_someone_who_signs_up_after_the_demo_was_loaded_finds_a_demo_photo_by_a_word_of_its_caption(client):
    load_demo()
    client.post(
        reverse("signup"),
        {"username": "zoe", "email": "zoe@example.org", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert list(Tracking.objects.filter(user__username="zoe").values_list("profile__username", flat=True)) == [
        "photosearch_demo"
    ]
    post = Post.objects.filter(location_name="Pikolo Espresso Bar").get()
    word = "espresso"
    assert word in post.caption.lower()
    page = client.get(reverse("search"), {"q": word}).text
    assert f"/photos/{post.photos.first().pk}/" in page


@pytest.mark.django_db
def test_one_who_stops_tracking_the_demo_is_not_made_to_track_it_again(user):
    load_demo()
    Tracking.objects.filter(user=user).delete()
    load_demo()
    assert not Tracking.objects.filter(user=user).exists()


@pytest.mark.django_db
def test_the_demo_reel_is_found_by_the_words_shown_in_its_middle_seconds_at_their_moment(settings, tiny_models):
    from search.indexing import photos_describe, photos_index_in_process
    from search.services import photos_search

    settings.IMAGE_TEXT_MODEL = settings.DESCRIPTION_MODEL = ""
    load_demo()
    photos_index_in_process(profile=InstagramProfile.objects.get())
    settings.OCR_ENGINE = "rapidocr"  # read the reel's frames alone: reading every demo photo takes long
    photos_describe(photo_ids=list(Photo.objects.filter(post__kind="video").values_list("pk", flat=True)))
    hit = photos_search(user=None, query="morning ritual").hits[0]
    assert (hit.post.kind, hit.photo.moment) in (("video", "0:01"), ("video", "0:02"))
