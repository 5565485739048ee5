from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from profiles.models import Photo, Tracking
from profiles.tests.factories import make_profile
from search.indexing import photos_index
from search.tests.conftest import post_with

pytestmark = pytest.mark.django_db


def search(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("search", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def shortcodes(out: str) -> list[str]:
    return [line.split()[1] for line in out.splitlines()]


@pytest.fixture
def chef(ana):
    """@chef, stored and indexed, tracked by Ben but not by Ana."""
    ben = get_user_model().objects.create_user("ben")
    chef = make_profile("chef")
    Tracking.objects.create(user=ben, profile=chef)
    photos_index(photo_ids=[photo.pk for photo in post_with(chef, "Sloop", "a red sailing boat moored at sunset")])
    return chef


def test_it_prints_the_ranked_posts_with_score_profile_and_why_they_matched(ana):
    out, err = search("boat at sunset", "--user", "ana")
    rank, shortcode, score, profile, *why = out.splitlines()[0].split()
    assert (rank, shortcode, profile) == ("1", "Boat", "@sailor")
    assert score == f"{float(score):.2f}"
    assert "text" in " ".join(why)
    assert err.endswith("matching posts.\n")


def test_it_says_which_hashtag_a_post_matched_exactly(ana):
    out, _ = search("#sunset", "--user", "ana")
    assert out.splitlines()[0].split()[1] == "Tagged"
    assert out.splitlines()[0].endswith("@sailor  exact (#sunset), text, fulltext")


def test_it_prints_at_most_limit_posts(ana):
    out, _ = search("outdoors", "--user", "ana", "--limit", "2")
    assert len(out.splitlines()) == 2


def test_it_pages_through_the_results_for_a_limit_beyond_one_page(ana):
    sailor = Photo.objects.filter(post__shortcode="Boat").get().post.profile
    photos = [photo for n in range(30) for photo in post_with(sailor, f"Boat{n}", f"a red boat number {n} at sea")]
    photos_index(photo_ids=[photo.pk for photo in photos])
    out, err = search("red boat", "--user", "ana", "--limit", "27")
    assert len(shortcodes(out)) == len(set(shortcodes(out))) == 27
    assert err.startswith("27 of ")


def test_it_prints_what_the_api_returns_for_the_same_query_and_user(ana, client):
    client.force_login(ana)
    api = client.get("/api/search", {"q": "boat at sunset"})
    out, _ = search("boat at sunset", "--user", "ana", "--json", "--base-url", "http://testserver")
    assert out == api.content.decode() + "\n"


def test_it_searches_every_stored_profile_without_a_user(chef):
    assert set(shortcodes(search("red boat at sunset")[0])[:2]) == {"Boat", "Sloop"}
    assert "Sloop" not in shortcodes(search("red boat at sunset", "--user", "ana")[0])


def test_it_searches_only_the_profiles_named(chef):
    assert set(shortcodes(search("red boat at sunset", "--profile", "@chef")[0])) == {"Sloop"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["  "], "Type what you remember of the photo."),
        (["x" * 400], "Keep the description under 300 characters."),
        (["boat", "--user", "nobody"], "There is no user named 'nobody'."),
        (["boat", "--profile", "ghost"], "No profile named @ghost is stored."),
        (["boat", "--user", "ana", "--profile", "chef"], "ana does not track @chef."),
        (["boat", "--limit", "0"], "--limit takes a number of posts, 1 or more."),
        (["boat", "--limit", "3", "--json"], "--limit is for the plain output"),
        (["boat", "--json", "--base-url", "127.0.0.1:8000"], "--base-url takes the site's address"),
    ],
)
def test_bad_input_gets_a_sentence_saying_what_is_wrong(chef, args, message):
    with pytest.raises(CommandError) as raised:
        search(*args)
    assert str(raised.value).startswith(message)
