import json
import lzma
import shutil
import zlib
from io import BytesIO, StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from PIL import Image

from jobs.models import Job
from profiles.models import InstagramProfile, Photo, Post, Tracking
from profiles.tests.fixtures.make_instaloader_folder import BROKEN_METADATA, CORRUPT_SLIDE

pytestmark = pytest.mark.django_db
FOLDER = Path(__file__).parent / "fixtures" / "instaloader" / "natgeotravel"


def run_import(*args, path=FOLDER):
    out, err = StringIO(), StringIO()
    call_command("import_instaloader", str(path), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def rows():
    posts = Post.objects.values_list("shortcode", "taken_at", "caption", "hashtags", "likes", "kind", "location_name")
    photos = Photo.objects.values_list("post__shortcode", "position", "sha256", "perceptual_hash", "alt_text", "image")
    return sorted(posts), sorted(photos)


def test_it_imports_every_readable_post_and_photo():
    run_import()
    assert Post.objects.count() == 7
    assert Photo.objects.count() == 8  # 6 single images + 2 of the 3 carousel slides
    assert InstagramProfile.objects.get().full_name == "Nat Geo Travel"


def test_it_reports_the_corrupt_slide_by_name_and_keeps_the_other_slides():
    _, err = run_import()
    assert f"Skipped {CORRUPT_SLIDE}: truncated or corrupt image" in err
    carousel = Post.objects.get(shortcode="C7carou0002")
    assert list(carousel.photos.values_list("position", "alt_text")) == [(1, "a temple"), (3, "a red maple")]


def test_it_reports_unreadable_metadata_by_name():
    _, err = run_import()
    assert f"Skipped {BROKEN_METADATA}: unreadable metadata" in err


def test_a_second_import_changes_nothing():
    run_import()
    before = rows()
    out, _ = run_import()
    assert rows() == before
    assert "0 new posts, 0 new photos" in out


def test_it_keeps_captions_in_every_script_with_their_hashtags_and_mentions():
    run_import()
    japanese = Post.objects.get(shortcode="C7japan0005")
    assert (japanese.caption, japanese.hashtags, japanese.mentions) == (
        "京都の紅葉がきれい #京都 #autumn @kyoto_guide",
        ["京都", "autumn"],
        ["kyoto_guide"],
    )
    assert Post.objects.get(shortcode="C7arabi0004").hashtags == ["الأردن", "travel"]
    assert Post.objects.get(shortcode="C7nocap0007").caption == ""


def test_it_stores_location_likes_kind_and_the_video_thumbnail():
    run_import()
    emoji = Post.objects.get(shortcode="C7emoji0001")
    assert (emoji.location_name, emoji.likes, emoji.comments) == ("Berlin, Germany", 42, 3)
    video = Post.objects.get(shortcode="C7video0003")
    assert video.kind == Post.Kind.VIDEO
    assert (video.photos.get().width, video.photos.get().height) == (64, 48)


def test_it_uses_the_profile_named_on_the_command_line():
    run_import("--profile", "@Travel.Archive")
    assert set(Post.objects.values_list("profile__username", flat=True)) == {"travel.archive"}


def test_it_refuses_a_path_that_is_not_a_folder():
    with pytest.raises(CommandError, match="is not a folder"):
        call_command("import_instaloader", str(FOLDER / "nothing-here"))


def test_it_queues_the_new_photos_for_indexing_in_batches(settings, ml_queue, django_capture_on_commit_callbacks):
    settings.INDEX_BATCH_SIZE = 3
    with django_capture_on_commit_callbacks(execute=True):
        run_import()
    sent = ml_queue()
    assert [name for name, _ in sent] == ["search.tasks.index_photos"] * 3
    assert sorted(pk for _, (_, ids) in sent for pk in ids) == sorted(Photo.objects.values_list("pk", flat=True))
    assert [len(ids) for _, (_, ids) in sent] == [3, 3, 2]


def test_a_post_whose_shortcode_is_not_instagrams_is_skipped_and_named(tmp_path):
    folder = tmp_path / "natgeotravel"
    folder.mkdir()
    structure = json.loads(lzma.decompress((FOLDER / "2024-05-21_14-00-00_UTC.json.xz").read_bytes()))
    structure["node"]["shortcode"] = "../../../etc/evil"
    (folder / "2024-05-21_14-00-00_UTC.json").write_text(json.dumps(structure))
    (folder / "2024-05-21_14-00-00_UTC.jpg").write_bytes((FOLDER / "2024-05-21_14-00-00_UTC.jpg").read_bytes())
    err = StringIO()
    call_command("import_instaloader", str(folder), stdout=StringIO(), stderr=err)
    assert "Skipped 2024-05-21_14-00-00_UTC.json: this post's shortcode is not one Instagram makes" in err.getvalue()
    assert not Post.objects.exists()


def test_an_import_cancelled_meanwhile_stops_at_its_next_post_and_keeps_what_it_stored():
    from profiles.services.imports import folder_import

    report = folder_import(path=FOLDER, progress=lambda done, total: done < 3)  # False: the job was cancelled
    assert (report.stopped, len(report.problems), Post.objects.count()) == (True, 1, 2)  # 3 read: 1 broken, 2 stored


def test_it_indexes_the_imported_photos_in_process_then_describes_them_with_progress_bars(tiny_models, settings):
    settings.INDEX_BATCH_SIZE = 3
    out, err = run_import("--index")
    # The 8 photos, and the one frame kept of the video's one still scene, which joins the job with its cover.
    assert Photo.objects.filter(indexed_at__isnull=False).count() == 9
    assert "[##########....................] 3/9 photos" in err
    assert "[##############################] 9/9 photos\n" in err
    assert err.endswith("[##############################] 9/9 photos described\n")
    assert "9 photos indexed.\n9 photos described." in out
    assert Photo.objects.filter(description_model=settings.DESCRIPTION_MODEL, describe_queued_at=None).count() == 9


def test_it_leaves_no_queued_index_job_behind_and_sends_nothing_to_the_ml_queue(
    tiny_models, ml_queue, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        run_import("--index")
    assert ml_queue() == []
    assert not Job.objects.active().exists()
    job = Job.objects.get(kind=Job.Kind.INDEX)
    assert (job.status, job.progress_done, job.progress_total, job.message) == (
        Job.Status.DONE,
        9,
        9,
        "9 photos indexed.",  # the video's frame with them
    )


def test_it_says_which_model_is_missing_and_keeps_the_imported_posts(tiny_models, settings):
    settings.IMAGE_TEXT_MODEL = "google/siglip2-base-patch32-256"  # not on this machine, and offline
    with pytest.raises(CommandError, match=r"The posts are imported, not indexed\. .*manage\.py download_models"):
        run_import("--index")
    assert Post.objects.count() == 7
    assert not Photo.objects.filter(indexed_at__isnull=False).exists()
    assert Job.objects.get(kind=Job.Kind.INDEX).status == Job.Status.FAILED


def test_without_the_describer_the_photos_are_searchable_and_it_says_what_is_missing(tiny_models, settings):
    settings.DESCRIPTION_MODEL = "Salesforce/blip-image-captioning-base"  # not on this machine, and offline
    with pytest.raises(CommandError, match=r"The photos are searchable, not described\. .*manage\.py download_models"):
        run_import("--index")
    assert Job.objects.get(kind=Job.Kind.INDEX).status == Job.Status.DONE
    assert Photo.objects.filter(indexed_at__isnull=False, description_model="").count() == 9  # a frame of the video too


def test_it_indexes_on_a_second_run_the_photos_a_first_run_left_unindexed(tiny_models):
    run_import()  # queued for a worker that never came
    out, _ = run_import("--index")
    assert "0 new photos" in out
    assert Photo.objects.filter(indexed_at__isnull=False).count() == 9  # and the video's frame


def test_it_adds_the_profile_to_the_users_list(user):
    out, _ = run_import("--track", "ada")
    assert Tracking.objects.filter(user=user, profile__username="natgeotravel").exists()
    assert "ada tracks @natgeotravel." in out


def test_it_refuses_an_unknown_user_before_importing_anything():
    with pytest.raises(CommandError, match="There is no user named 'nobody': nothing was imported"):
        run_import("--track", "nobody")
    assert not InstagramProfile.objects.exists()


def test_it_skips_a_metadata_bomb_by_name_on_the_bytes_it_decompresses(tmp_path, settings):
    settings.IMPORT_MAX_METADATA_BYTES = 64 * 1024
    bomb = lzma.compress(b'{"node": ' + b" " * (16 * 1024 * 1024) + b"1}")  # a few KB that unpack to 16 MiB
    folder = tmp_path / "natgeotravel"
    folder.mkdir()
    (folder / "2024-05-21_14-00-00_UTC.json.xz").write_bytes(bomb)
    for name in ("2024-05-22_17-46-40_UTC.json.xz", "2024-05-22_17-46-40_UTC.jpg"):
        (folder / name).write_bytes((FOLDER / name).read_bytes())
    err = StringIO()
    call_command("import_instaloader", str(folder), stdout=StringIO(), stderr=err)
    assert len(bomb) < 5000
    assert "2024-05-21_14-00-00_UTC.json.xz: metadata larger than 65536 bytes once decompressed" in err.getvalue()
    assert Post.objects.count() == 1


def test_it_skips_an_image_larger_than_the_limit_and_an_image_bomb_by_name(tmp_path, settings):
    settings.INSTAGRAM_MAX_IMAGE_BYTES = 50_000
    folder = tmp_path / "natgeotravel"
    folder.mkdir()
    for stem in ("2024-05-21_14-00-00_UTC", "2024-05-22_17-46-40_UTC", "2024-05-23_21-33-20_UTC"):
        folder.joinpath(f"{stem}.json.xz").write_bytes(FOLDER.joinpath(f"{stem}.json.xz").read_bytes())
    folder.joinpath("2024-05-21_14-00-00_UTC.jpg").write_bytes(b"\xff\xd8" + b"\0" * 60_000)
    folder.joinpath("2024-05-22_17-46-40_UTC.jpg").write_bytes(png_declaring(40_000, 40_000))
    good = FOLDER.joinpath("2024-05-23_21-33-20_UTC.jpg").read_bytes()
    folder.joinpath("2024-05-23_21-33-20_UTC.jpg").write_bytes(good)
    err = StringIO()
    call_command("import_instaloader", str(folder), stdout=StringIO(), stderr=err)
    assert "2024-05-21_14-00-00_UTC.jpg: larger than 50000 bytes" in err.getvalue()
    assert "2024-05-22_17-46-40_UTC.jpg: too many pixels to decode safely" in err.getvalue()
    assert Photo.objects.count() == 1


def png_declaring(width: int, height: int) -> bytes:
    """A small PNG whose header declares width x height pixels (1.6 billion here): Pillow would allocate them."""
    buffer = BytesIO()
    Image.new("L", (8, 8)).save(buffer, format="PNG")
    data = bytearray(buffer.getvalue())
    header = data.index(b"IHDR")
    data[header + 4 : header + 12] = width.to_bytes(4, "big") + height.to_bytes(4, "big")
    data[header + 17 : header + 21] = zlib.crc32(bytes(data[header : header + 17])).to_bytes(4, "big")
    return bytes(data)


def test_an_import_interrupted_before_it_queued_its_photos_has_them_queued_by_the_rerun(
    ml_queue, django_capture_on_commit_callbacks
):
    from profiles.services.imports import folder_import

    def killed_after_three(done, total):
        if done == 3:
            raise KeyboardInterrupt  # what a killed worker leaves: nothing after this post runs

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(KeyboardInterrupt):
        folder_import(path=FOLDER, progress=killed_after_three)
    stored = set(Photo.objects.values_list("pk", flat=True))
    assert stored and not ml_queue()  # stored, never queued
    with django_capture_on_commit_callbacks(execute=True):
        folder_import(path=FOLDER)
    queued = [pk for _, (_, ids) in ml_queue() for pk in ids]
    assert sorted(queued) == sorted(Photo.objects.values_list("pk", flat=True))  # each photo once
    assert stored <= set(queued)


def test_an_imported_photo_is_found_by_a_copy_of_it_before_any_model_has_run(user, settings):
    from search.by_image import image_upload_read, photos_by_image

    settings.IMAGE_TEXT_MODEL = settings.DESCRIPTION_MODEL = settings.TEXT_MODEL = ""  # no model anywhere
    run_import("--track", "ada")
    original = Photo.objects.order_by("pk").first()
    assert original.image_hashes and original.indexed_at is None  # hashed as it was stored, not indexed
    copy = BytesIO()
    with original.image.open("rb") as file:
        Image.open(file).convert("L").resize((40, 30)).save(copy, "JPEG", quality=50)  # grey, small, recompressed
    copy.seek(0)
    result = photos_by_image(user=user, image=image_upload_read(copy))
    assert result.hits[0].photo == original


def test_an_import_never_makes_a_private_profile_public():
    InstagramProfile.objects.create(username="natgeotravel", is_private=True)  # the folder's metadata: public
    run_import()
    assert InstagramProfile.objects.get().is_private is True
    assert InstagramProfile.objects.get().full_name == "Nat Geo Travel"  # the rest of what it says is taken


def test_it_stores_the_video_beside_a_video_posts_cover():
    run_import()
    post = Post.objects.get(shortcode="C7video0003")
    assert post.video.read() == (FOLDER / "2024-05-26_05-06-40_UTC.mp4").read_bytes()


def test_a_corrupt_video_in_the_folder_is_named_and_skipped(tmp_path):
    folder = tmp_path / "natgeotravel"
    shutil.copytree(FOLDER, folder)
    (folder / "2024-05-26_05-06-40_UTC.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42 not a video")
    _, err = run_import(path=folder)
    assert "Skipped 2024-05-26_05-06-40_UTC.mp4: truncated or corrupt video" in err
    assert Post.objects.get(shortcode="C7video0003").photos.count() == 1  # its cover kept
