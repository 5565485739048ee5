"""Reels found by their moment: generated videos whose words, or whose scene, are shown mid-video only, stored
as a sync or an import stores them, indexed as the ml worker indexes them, with the image-text model off."""

import json
import re
from datetime import UTC, datetime
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone

from core.tests.videos import between, mp4
from jobs.models import Job
from profiles import instagram
from profiles.models import Photo, Post, Tracking
from profiles.services.ingest import post_ingest
from profiles.services.videos import DESCRIBED_FRAMES
from profiles.tests.factories import make_profile
from search.by_image import photos_by_image
from search.indexing import photos_describe_in_process, photos_index_in_process
from search.services import photos_search, photos_similar
from search.tests.images import encoded, scene, with_words

pytestmark = pytest.mark.django_db

SIZE = (256, 144)
WORDS = with_words(scene(11, size=SIZE), "MONTMARTRE", size=28)
HARBOUR, MARKET = scene(12, size=SIZE), scene(13, size=SIZE)


def reel(profile, shortcode: str, *, cover, video: bytes, caption: str = "", day: int = 1) -> Post:
    """A video post stored as a sync stores it: its cover, then its video beside it."""
    data = instagram.PostData(
        shortcode=shortcode, media_id="", taken_at=datetime(2024, 6, day, tzinfo=UTC), caption=caption, hashtags=[],
        mentions=[], location_name="", likes=None, comments=None, kind="video",
        images=[instagram.ImageRef("https://scontent.cdninstagram.com/cover.jpg", "")],
    )  # fmt: skip
    return post_ingest(profile=profile, data=data, fetch=lambda _: encoded(cover), fetch_video=lambda: video).post


@pytest.fixture
def reels(settings):
    """Ana tracks @reels: a reel with words on its middle frames only, a reel with a scene shown mid-video
    only, and a reel of neither; all indexed by the first and second passes (the reader on, no image model)."""
    settings.IMAGE_TEXT_MODEL = settings.DESCRIPTION_MODEL = ""
    settings.OCR_ENGINE = "rapidocr"
    user = get_user_model().objects.create_user("ana")
    profile = make_profile("reels")
    Tracking.objects.create(user=user, profile=profile)
    plain = scene(11, size=SIZE)
    reel(profile, "Words", cover=plain, video=mp4(seconds=4, size=SIZE, frame=between(1.6, 2.4, WORDS, plain)))
    reel(profile, "Market", cover=HARBOUR, video=mp4(seconds=4, size=SIZE, frame=between(1.6, 2.4, MARKET, HARBOUR)))
    reel(profile, "Other", cover=scene(14, size=SIZE), video=mp4(seconds=3, size=SIZE), caption="A walk in Paris")
    photos_index_in_process(profile=profile)
    photos_describe_in_process(profile=profile)
    return user


def test_words_shown_mid_reel_find_that_reel_first_at_their_moment(reels):
    result = photos_search(user=reels, query="montmartre")
    hit = result.hits[0]
    assert hit.post.shortcode == "Words"
    assert 1.6 <= hit.photo.video_time < 2.4
    assert hit.photo.moment in ("0:01", "0:02")


def test_a_frame_grabbed_from_a_reel_finds_that_reel_first_at_its_moment(reels):
    grabbed = MARKET.resize((512, 288))  # a screenshot of the paused reel, larger than the video
    result = photos_by_image(user=reels, image=grabbed)
    hit = result.hits[0]
    assert hit.post.shortcode == "Market"
    assert 1.6 <= hit.photo.video_time < 2.4


def test_a_reel_is_one_result_whichever_of_its_frames_match(reels):
    result = photos_by_image(user=reels, image=HARBOUR)
    shortcodes = [hit.post.shortcode for hit in result.hits]
    assert shortcodes.count("Market") == 1  # its cover and its harbour frames are alike: the best stands for it


def test_each_reel_keeps_its_cover_and_at_most_video_frames_frames(reels, settings):
    for post in Post.objects.all():
        frames = post.photos.exclude(video_time=None)
        assert post.photos.get(position=1).video_time is None  # the cover, kept as before
        assert 1 <= frames.count() <= settings.VIDEO_FRAMES
        assert post.video_sampled_at is not None
    assert not Photo.objects.exclude(index_error="").exists()


def test_the_api_gives_the_moment_of_the_frame_that_matched(client, reels):
    client.force_login(reels)
    first = client.get("/api/search", {"q": "montmartre"}).json()["results"][0]
    assert (first["post"], first["moment"]) == ("Words", Photo.objects.get(pk=first["id"]).moment)
    assert 1.6 <= first["video_time"] < 2.4
    assert first["permalink"] == "https://www.instagram.com/p/Words/"


def test_search_json_and_plain_output_give_the_frames_time(reels):
    out = StringIO()
    call_command("search", "montmartre", "--user", "ana", "--json", stdout=out, stderr=StringIO())
    assert 1.6 <= json.loads(out.getvalue())["results"][0]["video_time"] < 2.4
    out = StringIO()
    call_command("search", "montmartre", "--user", "ana", stdout=out, stderr=StringIO())
    assert re.search(r"Words .*\(at 0:0[12]\)$", out.getvalue().splitlines()[0])


def test_a_frames_page_names_its_moment_and_shows_the_videos_frame_strip(client, reels):
    client.force_login(reels)
    frame = Photo.objects.filter(post__shortcode="Market").exclude(video_time=None).last()
    page = client.get(f"/photos/{frame.pk}/").content.decode()
    assert f"at {frame.moment}" in page
    strip = Photo.objects.filter(post__shortcode="Market").exclude(video_time=None)
    assert page.count('alt="at 0:0') == strip.count() >= 2
    assert 'aria-current="true"' in page


def test_only_a_videos_most_representative_frames_are_described_and_none_is_left_waiting(settings):
    settings.IMAGE_TEXT_MODEL = ""  # the tiny describer and text model only
    profile = make_profile("reels")
    scenes = [scene(20 + n, size=SIZE) for n in range(8)]  # a cut every half second
    reel(profile, "Cuts", cover=scenes[0], video=mp4(seconds=4, size=SIZE, frame=lambda s: scenes[int(s * 2)]))
    photos_index_in_process(profile=profile)
    photos_describe_in_process(profile=profile)
    frames = Photo.objects.exclude(video_time=None)
    assert frames.count() >= 8
    assert frames.exclude(description="").count() == DESCRIBED_FRAMES
    assert not Photo.objects.awaiting_description().exists()


def test_reindex_samples_a_video_stored_after_its_cover_was_indexed(settings, django_capture_on_commit_callbacks):
    settings.IMAGE_TEXT_MODEL = settings.DESCRIPTION_MODEL = ""
    profile = make_profile("reels")
    post = reel(profile, "Late", cover=HARBOUR, video=mp4(seconds=2, size=SIZE, frame=between(1, 2, MARKET, HARBOUR)))
    Post.objects.filter(pk=post.pk).update(video_sampled_at=timezone.now())  # as if indexed before videos came
    photos_index_in_process(profile=profile)
    Post.objects.filter(pk=post.pk).update(video_sampled_at=None)
    call_command("reindex", stdout=StringIO())
    _, queued = Job.objects.filter(kind=Job.Kind.INDEX).order_by("pk")  # the reindex queued one more job
    assert list(queued.job_photos.values_list("photo__position", flat=True)) == [1]  # the cover, to sample its video
    photos_index_in_process(profile=profile)  # what the ml worker would do with it
    assert post.photos.exclude(video_time=None).exists()


def test_a_profiles_page_shows_a_reels_cover_and_its_page_the_frame_strip(client, reels):
    client.force_login(reels)
    page = client.get("/@reels/").content.decode()
    assert page.count('class="hit"') == 3  # one card a reel: its cover, not its frames
    cover = Photo.objects.get(post__shortcode="Market", position=1)
    assert page.count('alt="at 0:0') == 0
    assert client.get(f"/photos/{cover.pk}/").content.decode().count('alt="at 0:0') >= 2


def test_more_like_this_shows_a_reel_once(reels):
    photo = Photo.objects.get(post__shortcode="Other", position=1)
    similar = photos_similar(user=reels, photo_id=photo.pk)
    assert sorted(p.post.shortcode for p in similar) == ["Market", "Words"]  # each reel once, by its nearest photo
