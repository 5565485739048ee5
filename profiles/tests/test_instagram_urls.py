import pytest

from profiles import instagram
from profiles.instagram import url_is_instagram
from profiles.tests.fake_instagram import CDN, jpeg


@pytest.mark.parametrize(
    "url",
    [
        "https://scontent-fra5-1.cdninstagram.com/v/t51.2885-15/a_n.jpg?stp=x",
        "https://instagram.fmuc1-1.fna.fbcdn.net/v/t51.2885-15/a_n.jpg",
        "https://www.instagram.com/p/C7emoji0001/",
    ],
)
def test_it_accepts_instagrams_own_hosts(url):
    assert url_is_instagram(url)


@pytest.mark.parametrize(
    "url",
    [
        "http://scontent.cdninstagram.com/a.jpg",  # not over TLS
        "https://cdninstagram.com.evil.example/a.jpg",
        "https://evilcdninstagram.com/a.jpg",
        "https://evil.example/.cdninstagram.com/a.jpg",
        "https://user@evil.example/?u=instagram.com",
        "file:///etc/passwd",
        "https://127.0.0.1/a.jpg",
        "https://evil.net\\@scontent.cdninstagram.com/x",  # requests would connect to evil.net
        "https://evil.net@scontent.cdninstagram.com/x",
        "https://user:pw@scontent.cdninstagram.com/x",
        "https://scontent.cdninstagram.com:8443/x",
        "https://scontent.cdninstagram.com:bad/x",
        "https://scontent.cdninstagram.com./x",
        "https://scontent.cdninstagram.com\t.evil.net/x",
        "https://scontent.cdninstagram.com%2F.evil.net/x",
    ],
)
def test_it_refuses_any_other_host(url):
    assert not url_is_instagram(url)


def test_it_downloads_through_a_redirect_to_another_instagram_host(db, fake_instagram):
    fake_instagram.images["/b.jpg"] = jpeg()
    fake_instagram.refuse("cdn", 302, location=f"{CDN}/b.jpg")
    assert instagram.image_download(f"{CDN}/a.jpg") == fake_instagram.images["/b.jpg"]


@pytest.mark.parametrize(
    "location", ["https://evil.example/a.jpg", "http://scontent.cdninstagram.com/a.jpg", "//evil.example/a.jpg"]
)
def test_it_refuses_a_redirect_off_instagrams_hosts(db, fake_instagram, location):
    fake_instagram.refuse("cdn", 302, location=location)
    with pytest.raises(instagram.ImageUnavailable, match="This image link does not point to Instagram"):
        instagram.image_download(f"{CDN}/a.jpg")
    assert [url for _, url in fake_instagram.requests] == [f"{CDN}/a.jpg"]


def test_it_stops_after_a_few_redirects(db, fake_instagram):
    fake_instagram.refuse("cdn", 302, location=f"{CDN}/a.jpg", times=10)
    with pytest.raises(instagram.ImageUnavailable, match="redirects too many times"):
        instagram.image_download(f"{CDN}/a.jpg")
