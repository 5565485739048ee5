import pytest
from django.contrib.auth import get_user_model

from alerts.models import Notification, SavedSearch
from profiles.models import Tracking
from profiles.tests.factories import make_photo, make_post, make_profile
from search.tests.conftest import ana, minilm  # noqa: F401  (Ana's photos, indexed by the real MiniLM)


@pytest.fixture(autouse=True)
def offline_tiny_models(tiny_models):
    """No test here downloads a model: the tiny random ones (root conftest), unless a test asks for MiniLM."""
    return tiny_models


@pytest.fixture
def sailor(user):
    """@sailor, tracked by Ada, with one post (not indexed: pages and API read notifications, not vectors)."""
    profile = make_profile("sailor")
    Tracking.objects.create(user=user, profile=profile)
    return profile


@pytest.fixture
def notified(user, sailor):
    """Ada's saved search "boat", notified of two posts of @sailor (unread)."""
    saved = SavedSearch.objects.create(user=user, name="Boats", query="boat")
    for shortcode in ("Boat1", "Boat2"):
        photo = make_photo(post=make_post(profile=sailor, shortcode=shortcode), description="a boat")
        Notification.objects.create(saved_search=saved, photo=photo)
    return saved


@pytest.fixture
def bob(django_user_model, sailor):
    """Another user, who tracks @sailor too."""
    bob = get_user_model().objects.create_user("bob", "bob@example.org")
    Tracking.objects.create(user=bob, profile=sailor)
    return bob
