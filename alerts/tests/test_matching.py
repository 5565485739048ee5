"""New photos against saved searches (alerts.matching): the search's own relevance floor, once per photo."""

import pytest

from alerts.matching import photos_notify
from alerts.services import saved_search_create
from profiles.models import InstagramProfile, Tracking
from profiles.tests.factories import make_photo, make_post, make_profile
from search.indexing import photos_index
from search.tests.conftest import post_with
from search.types import SearchFilters

pytestmark = pytest.mark.django_db


def notified(saved) -> list[str]:
    return sorted(saved.notifications.values_list("photo__post__shortcode", flat=True))


@pytest.fixture
def words_only(settings):
    """No model at all: search runs on full text and exact terms, which is all these tests need."""
    settings.IMAGE_TEXT_MODEL = settings.DESCRIPTION_MODEL = settings.TEXT_MODEL = ""


@pytest.fixture
def sailor(user, words_only):
    profile = make_profile("sailor")
    Tracking.objects.create(user=user, profile=profile)
    return profile


def new_post(profile, shortcode, caption, slides=1) -> list[int]:
    """A post stored now, its photos' ids (their full text is the database's; no model needed)."""
    post = make_post(profile=profile, shortcode=shortcode, caption=caption, hashtags=["regatta"] * ("#" in caption))
    return [make_photo(post=post, position=n).pk for n in range(1, slides + 1)]


def test_it_notifies_a_new_photo_that_matches_the_meaning_and_not_one_that_does_not(ana):
    saved = saved_search_create(user=ana, query="a sailboat on the ocean")
    sailor = InstagramProfile.objects.get(username="sailor")
    photos = post_with(sailor, "Yacht", "a white yacht sailing on the open sea")
    photos += post_with(sailor, "Soup", "a bowl of noodle soup on a wooden table")
    photos_index(photo_ids=[photo.pk for photo in photos])
    assert photos_notify(photo_ids=[photo.pk for photo in photos]) == 1
    assert notified(saved) == ["Yacht"]


def test_it_notifies_a_photo_with_the_exact_hashtag_asked_for_and_not_the_others(user, sailor):
    saved = saved_search_create(user=user, query="#regatta")
    photos_notify(photo_ids=new_post(sailor, "Race", "Race day #regatta") + new_post(sailor, "Pier", "On the pier"))
    assert notified(saved) == ["Race"]


def test_each_photo_notifies_a_saved_search_once_however_often_it_is_matched(user, sailor):
    saved = saved_search_create(user=user, query="#regatta")
    photo_ids = new_post(sailor, "Race", "Race day #regatta")
    assert photos_notify(photo_ids=photo_ids) == 1
    assert photos_notify(photo_ids=photo_ids) == 0
    assert saved.notifications.count() == 1


def test_a_carousel_notifies_once_for_its_post(user, sailor):
    saved = saved_search_create(user=user, query="#regatta")
    photos_notify(photo_ids=new_post(sailor, "Slides", "Race day #regatta", slides=3))
    assert notified(saved) == ["Slides"]


def test_photos_stored_before_the_search_was_saved_do_not_notify_it(user, sailor):
    photo_ids = new_post(sailor, "Race", "Race day #regatta")
    saved = saved_search_create(user=user, query="#regatta")
    photos_notify(photo_ids=photo_ids)  # indexed again after the search was saved, say
    assert notified(saved) == []


def test_it_notifies_only_the_owners_who_track_the_photos_profile(user, sailor, django_user_model):
    mine = saved_search_create(user=user, query="#regatta")
    bobs = saved_search_create(user=django_user_model.objects.create_user("bob"), query="#regatta")
    photos_notify(photo_ids=new_post(sailor, "Race", "Race day #regatta"))
    assert (notified(mine), notified(bobs)) == (["Race"], [])


def test_a_search_saved_for_some_profiles_ignores_the_others(user, sailor):
    harbour = make_profile("harbour")
    Tracking.objects.create(user=user, profile=harbour)
    saved = saved_search_create(user=user, query="#regatta", filters=SearchFilters(profile_ids=(harbour.pk,)))
    photos_notify(photo_ids=new_post(sailor, "Race", "Race day #regatta"))
    assert notified(saved) == []


def test_a_search_whose_profiles_are_no_longer_tracked_notifies_nothing(user, sailor):
    harbour = make_profile("harbour")
    Tracking.objects.create(user=user, profile=harbour)
    saved = saved_search_create(user=user, query="#regatta", filters=SearchFilters(profile_ids=(harbour.pk,)))
    Tracking.objects.filter(user=user, profile=harbour).delete()
    # Not "every profile" now that none of its own is left: still none of @sailor's.
    photos_notify(photo_ids=new_post(sailor, "Race", "Race day #regatta"))
    assert notified(saved) == []


def test_words_read_mid_reel_notify_its_post_with_the_frame_at_their_moment(user, sailor, settings, tiny_model_dir):
    from io import BytesIO

    from core.tests.videos import between, mp4
    from profiles.services.videos import video_frames_store
    from search.indexing import photos_describe
    from search.tests.images import scene, with_words

    settings.OCR_ENGINE, settings.TEXT_MODEL = "rapidocr", str(tiny_model_dir / "text")  # the second pass's roles
    saved = saved_search_create(user=user, query="lighthouse")
    plain = scene(1, size=(256, 144))
    post = make_post(profile=sailor, shortcode="Reel", kind="video")
    video = mp4(seconds=3, size=(256, 144), frame=between(1, 2, with_words(plain, "LIGHTHOUSE", size=28), plain))
    post.video.save("video.mp4", BytesIO(video))
    frame_ids = video_frames_store(post_id=post.pk)
    photos_describe(photo_ids=frame_ids)  # the second pass, which reads the words, then tells saved searches
    photos_notify(photo_ids=frame_ids)
    notification = saved.notifications.get()
    assert (notification.photo.post.shortcode, notification.photo.moment) == ("Reel", "0:01")
