import pytest

from profiles.instagram import url_is_instagram


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
    ],
)
def test_it_refuses_any_other_host(url):
    assert not url_is_instagram(url)
