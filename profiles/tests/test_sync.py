"""Syncs from a fake Instagram (at the HTTP boundary): the task run in this process, and on a real Celery
worker where the queue itself is what is tested (a wait Instagram asks for becomes a scheduled retry)."""

import time
from io import StringIO
from pathlib import Path

import pytest
import requests
from celery.exceptions import SoftTimeLimitExceeded
from celery.result import AsyncResult
from django.core.management import call_command

from jobs.models import Job
from jobs.selectors import ProfileStatus, profile_state
from jobs.services import sync as sync_service
from jobs.services import sync as tracking
from jobs.tasks import run_sync_job
from profiles import folders
from profiles import instagram as instagram_adapter
from profiles.models import InstagramProfile, Photo, Post
from profiles.tests.factories import settled
from profiles.tests.fake_instagram import FakeInstagram, WorkerKilled, media, sample_posts, sample_video, video_path
from profiles.tests.fixtures.make_instaloader_folder import BROKEN_METADATA

FOLDER = Path(__file__).parent / "fixtures" / "instaloader" / "natgeotravel"


def queued_sync(user) -> Job:
    """Track the profile (its first sync) or sync it again: the job, queued."""
    profile = InstagramProfile.objects.filter(username="natgeotravel").first()
    if profile is None:
        return tracking.profile_track(user=user, text="natgeotravel")[1]
    return sync_service.profile_sync_queue(profile=profile)


@pytest.fixture
def sync(db, user):
    """A sync run by its task in this process (as a worker runs it, minus the queue); returns the job."""

    def run() -> Job:
        job = queued_sync(user)
        run_sync_job.apply(args=[job.pk])
        job.refresh_from_db()
        return job

    return run


@pytest.fixture
def sync_on_worker(scrape_worker, user):
    """A sync sent through Redis to a real worker; returns the job once the worker is done with it for now."""
    return lambda: settled(queued_sync(user))


@pytest.fixture
def instagram(fake_instagram: FakeInstagram, signed_in) -> FakeInstagram:
    fake_instagram.add_profile(posts=sample_posts())
    return fake_instagram


def test_it_stores_every_post_and_photo_on_a_first_sync(instagram, sync):
    job = sync()
    assert (job.status, job.message) == (Job.Status.DONE, "7 new posts.")
    assert Post.objects.count() == 7
    assert Photo.objects.count() == 9  # the carousel's 3 slides and the video's thumbnail included
    profile = InstagramProfile.objects.get()
    assert (profile.full_name, profile.instagram_id, profile.sync_cursor) == ("Nat Geo Travel", "25025320", None)
    assert profile.last_synced_at is not None
    assert profile_state(profile).label == "Indexing 0/9 photos"  # synced; its photos wait for the ml queue


def test_it_queues_the_new_photos_for_indexing_in_batches(
    instagram, db, user, ml_queue, django_capture_on_commit_callbacks
):
    job = queued_sync(user)
    with django_capture_on_commit_callbacks(execute=True):  # the batches go to Redis as the sync commits them
        run_sync_job.apply(args=[job.pk])
    sent = ml_queue()
    index_job = Job.objects.get(kind=Job.Kind.INDEX)
    assert [(name, len(ids), job_id) for name, (job_id, ids) in sent] == [
        ("search.tasks.index_photos", 8, index_job.pk),
        ("search.tasks.index_photos", 1, index_job.pk),
    ]
    assert sorted(pk for _, (_, ids) in sent for pk in ids) == sorted(Photo.objects.values_list("pk", flat=True))


def test_it_stores_what_instagram_says_about_each_post(instagram, sync):
    sync()
    post = Post.objects.get(shortcode="C7emoji0001")
    assert post.caption == "Sunset over the dunes 🌅🐪 #sahara #Travel with @natgeo"
    assert (post.hashtags, post.mentions, post.location_name) == (["sahara", "travel"], ["natgeo"], "Berlin, Germany")
    assert (post.likes, post.comments, post.kind) == (42, 3, Post.Kind.IMAGE)
    assert post.photos.get().alt_text == "May be an image of desert and sky"
    slides = Post.objects.get(shortcode="C7carou0002").photos.values_list("alt_text", flat=True)
    assert list(slides) == ["a temple", "", "a red maple"]


def test_a_sync_without_a_session_reads_the_profile_page_then_each_post(fake_instagram, sync):
    fake_instagram.add_profile(posts=sample_posts())
    job = sync()
    assert job.message == "7 new posts."
    assert (fake_instagram.count("timeline"), fake_instagram.count("post_query")) == (0, 7)
    assert Photo.objects.count() == 9
    assert Post.objects.get(shortcode="C7emoji0001").location_name == "Berlin, Germany"


def test_it_downloads_full_resolution_images_from_instagrams_cdn_only(instagram, sync):
    sync()
    downloads = [url for what, url in instagram.requests if what == "cdn"]
    assert len(downloads) == 10  # 9 images and a video
    assert all(url.startswith("https://scontent-fra5-1.cdninstagram.com/") and "se=" not in url for url in downloads)


def test_a_refresh_of_an_unchanged_profile_costs_one_page_and_no_download(instagram, sync):
    older = [media(f"C6old{n:07d}", 1700000000 - n, f"Older {n}") for n in range(20)]
    instagram.add_profile(posts=[*sample_posts(), *older])  # 27 posts: three pages
    sync()
    instagram.requests.clear()
    job = sync()
    assert (job.status, job.message) == (Job.Status.DONE, "0 new posts.")
    assert (instagram.count("timeline"), instagram.count("cdn"), instagram.count("post_query")) == (1, 0, 0)
    assert Photo.objects.count() == 29


def test_a_refresh_fetches_only_the_posts_newer_than_the_newest_stored(instagram, sync):
    sync()
    instagram.requests.clear()
    instagram.add_profile(posts=[media("C8new000001", 1717000000, "New!"), *sample_posts()])
    job = sync()
    assert job.message == "1 new post."
    assert instagram.count("cdn") == 1
    assert Post.objects.filter(shortcode="C8new000001").exists()


def test_a_refresh_does_not_stop_on_old_pinned_posts(instagram, sync):
    sync()
    posts = sample_posts()
    pinned = [posts[5], posts[6]]  # older posts the owner pinned to the top of the grid
    instagram.add_profile(posts=[*pinned, media("C8new000001", 1717000000, "New!"), *posts[:5]])
    job = sync()
    assert job.message == "1 new post."
    assert Post.objects.count() == 8


def test_a_429_schedules_a_retry_instead_of_a_sleeping_worker(instagram, sync_on_worker):
    instagram.refuse("timeline", 429)
    started = time.monotonic()
    job = sync_on_worker()
    assert time.monotonic() - started < 15
    assert instagram.count("timeline") == 1  # instaloader's second attempt waits first: that wait is raised
    assert job.status == Job.Status.WAITING
    assert job.message.startswith("Waiting for Instagram until ")
    assert 600 < (job.wait_until - job.updated_at).total_seconds() <= 700  # instaloader's 666 s after a 429
    assert celery_state(job, after="STARTED") == "RETRY"
    assert profile_state(job.profile).label == f"Waiting for Instagram until {job.wait_until:%H:%M}"


def test_a_sync_killed_mid_way_resumes_where_it_stopped_without_duplicates(fake_instagram, signed_in, db):
    posts = [media(f"C9post{n:05d}", 1717000000 - n * 1000, f"Post {n}") for n in range(15)]  # two pages
    fake_instagram.add_profile(posts=posts)
    job = Job.objects.create(kind=Job.Kind.SYNC, profile=InstagramProfile.objects.create(username="natgeotravel"))
    job.claim("task-of-a-killed-worker")
    fake_instagram.kill_at = fake_instagram.image_path("C9post00013", 1)  # the 2nd post of page 2
    with pytest.raises(WorkerKilled):
        sync_service.profile_sync(job=job)
    assert Post.objects.count() == 13
    fake_instagram.kill_at, fake_instagram.requests = "", []
    run_sync_job.apply(args=[job.pk], task_id="task-of-a-killed-worker")  # the broker delivers it again
    assert settled(job).status == Job.Status.DONE
    assert (Post.objects.count(), Photo.objects.count()) == (15, 15)
    # Page 1 once (instaloader builds the iterator with it), page 2 from the stored state; 2 new images.
    assert (fake_instagram.count("timeline"), fake_instagram.count("cdn")) == (1, 2)


def test_a_sync_cancelled_mid_way_stops_and_the_next_one_goes_on(instagram, sync):
    cancel = lambda: Job.objects.get(kind=Job.Kind.SYNC).cancel()  # noqa: E731 (an admin, meanwhile)
    instagram.on_download[instagram.image_path("C7carou0002", 1)] = cancel
    job = sync()
    assert job.status == Job.Status.CANCELLED
    profile = InstagramProfile.objects.get()
    assert (profile_state(profile).label, profile.sync_cursor["done"], Post.objects.count()) == (
        "Indexing 0/4 photos",  # what it stored before it stopped is indexed all the same
        2,
        2,
    )
    Job.objects.filter(kind=Job.Kind.INDEX).update(status=Job.Status.DONE)
    assert profile_state(profile).label == "Cancelled"
    assert (sync().message, Post.objects.count()) == ("7 new posts.", 7)


def test_an_instaloader_folder_imports_to_the_same_rows_as_a_scrape_of_the_same_posts(instagram, sync):
    for folder_post in folders.folder_posts(FOLDER):
        if folder_post.stem != BROKEN_METADATA.removesuffix(".json.xz"):
            code = instagram_adapter.post_from_file(folder_post.metadata).shortcode
            for position, file in folder_post.images.items():
                instagram.images[instagram.image_path(code, position)] = file.read_bytes()
    sync()
    scraped = rows()
    Post.objects.all().delete()
    call_command("import_instaloader", str(FOLDER), stdout=StringIO(), stderr=StringIO())
    assert rows() == scraped
    assert len(scraped[1]) == 8  # the corrupt slide is refused by both


def test_a_sync_that_uses_up_its_request_budget_waits_as_a_retry(instagram, sync_on_worker, settings):
    settings.INSTAGRAM_QUERIES_PER_WINDOW = 2  # timeline pages per 11 minutes
    older = [media(f"C6old{n:07d}", 1700000000 - n, f"Older {n}") for n in range(20)]
    instagram.add_profile(posts=[*sample_posts(), *older])  # 27 posts: three pages
    job = sync_on_worker()
    assert job.status == Job.Status.WAITING
    assert 600 < (job.wait_until - job.updated_at).total_seconds() <= 700
    assert (instagram.count("timeline"), Post.objects.count()) == (2, 24)


def test_an_image_link_to_another_host_is_never_followed(instagram, sync):
    instagram.posts["natgeotravel"][0]["image_versions2"]["candidates"][0]["url"] = "https://evil.example/x.jpg"
    job = sync()
    assert "C7emoji0001 image 1: This image link does not point to Instagram." in job.message
    assert not [url for _, url in instagram.requests if "evil.example" in url]
    assert Post.objects.get(shortcode="C7emoji0001").photos.count() == 0


def test_please_wait_a_few_minutes_backs_off(instagram, sync_on_worker, settings):
    settings.INSTAGRAM_BACKOFF_SECONDS = 900
    instagram.refuse(
        "timeline", 401, '{"message": "Please wait a few minutes before you try again.", "status": "fail"}', 2
    )
    job = sync_on_worker()
    assert job.status == Job.Status.WAITING
    assert 890 < (job.wait_until - job.updated_at).total_seconds() <= 900
    assert profile_state(job.profile).label.startswith("Waiting for Instagram until ")


def test_a_private_profile_ends_with_its_message(fake_instagram, signed_in, sync):
    fake_instagram.add_profile(posts=sample_posts(), is_private=True)
    job = sync()
    assert job.status == Job.Status.FAILED
    assert job.message == "This profile is private and the Instagram account photosearch uses does not follow it."
    assert profile_state(InstagramProfile.objects.get()).status == ProfileStatus.FAILED


def test_a_missing_profile_ends_with_its_message(fake_instagram, signed_in, sync):
    job = sync()
    assert (job.status, job.message) == (Job.Status.FAILED, "Instagram has no profile with this username.")


def test_a_profile_that_needs_a_login_ends_with_its_message(fake_instagram, sync):
    fake_instagram.add_profile(posts=sample_posts())
    fake_instagram.refuse(
        "profile_page", 302, location="https://www.instagram.com/accounts/login/?next=%2Fnatgeotravel%2F"
    )
    job = sync()
    assert job.status == Job.Status.FAILED
    assert job.message.startswith("Instagram shows this profile only to signed-in visitors")


def test_a_checkpoint_ends_with_its_message_and_no_secret(instagram, sync):
    instagram.refuse("timeline", 400, '{"message": "checkpoint_required", "status": "fail"}')
    job = sync()
    assert job.status == Job.Status.FAILED
    assert "checkpoint" in job.message
    assert "secret" not in job.message + job.error  # the session's cookies hold "secret"


def test_an_expired_image_link_refetches_the_post_once(instagram, sync):
    instagram.expired[instagram.image_path("C7carou0002", 2)] = 1
    job = sync()
    assert job.message == "7 new posts."
    assert instagram.count("post_query") == 1
    assert Post.objects.get(shortcode="C7carou0002").photos.count() == 3


def test_an_image_expired_again_after_the_refetch_fails_only_that_photo(instagram, sync):
    instagram.expired[instagram.image_path("C7carou0002", 2)] = 2
    job = sync()
    assert job.status == Job.Status.DONE
    assert "C7carou0002 image 2: Instagram's link to this image has expired." in job.message
    assert list(Post.objects.get(shortcode="C7carou0002").photos.values_list("position", flat=True)) == [1, 3]


def test_a_corrupt_image_among_good_ones_is_reported_on_the_job(instagram, sync):
    instagram.images[instagram.image_path("C7japan0005", 1)] = b"\xff\xd8\xff\xe0 cut short"
    job = sync()
    assert job.status == Job.Status.DONE
    assert "C7japan0005 image 1: " in job.message
    assert (Post.objects.count(), Photo.objects.count()) == (7, 8)


def celery_state(job: Job, after: str, timeout: float = 10) -> str:
    """The task's state in the result backend once it has moved on from `after`. The worker saves the job's row
    before Celery records the retry, so a test that reads the backend as soon as the row settles can be early."""
    deadline = time.monotonic() + timeout
    while (state := AsyncResult(job.celery_task_id).state) == after and time.monotonic() < deadline:
        time.sleep(0.05)
    return state


def rows():
    posts = Post.objects.values_list(
        "profile__username", "shortcode", "media_id", "taken_at", "caption", "hashtags", "mentions",
        "location_name", "likes", "comments", "kind",
    )  # fmt: skip
    photos = Photo.objects.values_list(
        "post__shortcode", "position", "sha256", "perceptual_hash", "alt_text", "width", "height"
    )
    return sorted(posts), sorted(photos)


NETWORK_FAILURES = {
    "connection refused": requests.exceptions.ConnectionError("[Errno 111] Connection refused"),
    "DNS failure": requests.exceptions.ConnectionError(
        "Failed to resolve 'www.instagram.com' ([Errno -3] Temporary failure in name resolution)"
    ),
    "TLS failure": requests.exceptions.SSLError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed"),
    "timeout": requests.exceptions.ReadTimeout("Read timed out. (read timeout=60.0)"),
}


@pytest.mark.parametrize("failure", NETWORK_FAILURES)
def test_a_network_failure_says_instagram_could_not_be_reached_and_when_it_tries_again(instagram, db, user, failure):
    instagram.network_failure = NETWORK_FAILURES[failure]
    job = queued_sync(user)
    job.claim("a-task")
    with pytest.raises(instagram_adapter.InstagramUnreachable) as raised:
        sync_service.profile_sync(job=job)
    sync_service.profile_sync_wait(job=job, wait=raised.value, seconds=600)
    job.refresh_from_db()
    assert job.status == Job.Status.WAITING
    assert job.message == f"Instagram could not be reached; next try at {job.wait_until:%H:%M}."
    assert profile_state(job.profile).label == job.message  # never "Waiting for Instagram"


def test_only_instagrams_own_request_to_wait_says_waiting(instagram, db, user):
    instagram.refuse("timeline", 429)
    job = queued_sync(user)
    job.claim("a-task")
    with pytest.raises(instagram_adapter.InstagramWait) as raised:
        sync_service.profile_sync(job=job)
    assert not isinstance(raised.value, instagram_adapter.InstagramUnreachable)
    sync_service.profile_sync_wait(job=job, wait=raised.value, seconds=600)
    assert profile_state(job.profile).label.startswith("Waiting for Instagram until ")


def test_a_long_syncs_continuations_do_not_spend_the_tries_a_rate_limit_is_given(instagram, sync, settings):
    settings.INSTAGRAM_MAX_RETRIES = 1

    def time_is_up():  # the soft time limit, as the worker's signal raises it mid-download
        raise SoftTimeLimitExceeded()

    def time_is_up_and_instagram_asks_to_wait():
        instagram.refuse("timeline", 429)  # the next task's first request
        time_is_up()

    posts = sample_posts()
    instagram.on_download = {
        instagram.image_path(posts[1]["code"], 1): time_is_up,
        instagram.image_path(posts[3]["code"], 1): time_is_up_and_instagram_asks_to_wait,
    }
    job = sync()  # two continuations, then Instagram's waits (here, its rate controller never lets go)
    assert Post.objects.count() == 3  # each continuation went on where the last one stopped
    # The one try allowed went to Instagram's first wait: the continuations were not counted as tries.
    assert job.status == Job.Status.FAILED and job.message.endswith("Gave up after 1 tries.")


def test_a_sync_stores_a_video_posts_video_beside_its_cover(instagram, sync):
    sync()
    post = Post.objects.get(shortcode="C7video0003")
    assert post.video.name == "videos/natgeotravel/C7video0003.mp4"
    assert (post.video.read(), post.video_seconds) == (sample_video(), 2.0)
    assert post.photos.count() == 1  # the cover; its frames come with indexing


def test_a_corrupt_video_is_named_in_the_report_and_skipped_with_the_post_kept(instagram, sync):
    instagram.images[video_path("C7video0003")] = sample_video()[:600]  # cut short
    job = sync()
    assert "C7video0003 video: truncated or corrupt video" in job.message
    post = Post.objects.get(shortcode="C7video0003")
    assert (post.video.name, post.photos.count(), Post.objects.count()) == ("", 1, 7)


def test_with_videos_off_a_sync_fetches_the_cover_alone(instagram, sync, settings):
    settings.VIDEO_DOWNLOAD = False
    sync()
    assert not [url for _, url in instagram.requests if url.endswith(".mp4")]
    assert Post.objects.get(shortcode="C7video0003").video.name == ""


def test_a_videos_expired_link_is_fetched_again_from_the_posts_fresh_metadata(instagram, sync):
    instagram.expired[video_path("C7video0003")] = 1
    sync()
    assert instagram.count("post_query") == 1
    assert Post.objects.get(shortcode="C7video0003").video.name != ""
