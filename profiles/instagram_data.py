"""What the Instagram adapter (profiles.instagram) hands out and raises: plain values, no instaloader.

Code that only reads them (a post to store, an error to show) imports them from the adapter all the same,
as `instagram.PostData` or `instagram.InstagramWait`: the adapter is the one door to Instagram.
"""

from dataclasses import dataclass
from datetime import datetime


class InstagramError(Exception):
    """Instagram did not give us what we asked for; str() is what the user sees."""


class ProfileUnavailable(InstagramError):
    """Final for this sync: private, missing, login required, checkpoint. Retrying will not help."""


class InstagramWait(InstagramError):
    """Instagram asks us to slow down: try again in `seconds`."""

    def __init__(self, seconds: float, message: str = "Instagram asked us to slow down."):
        super().__init__(message)
        self.seconds = max(1, round(seconds))


class InstagramUnreachable(InstagramWait):
    """The network failed us (refused, DNS, TLS, timeout), not Instagram: try again in `seconds`."""

    def __init__(self, seconds: float, message: str = "Instagram could not be reached."):
        super().__init__(seconds, message)


class ImageUnavailable(InstagramError):
    """One image could not be fetched; the rest of the sync goes on."""


class ImageExpired(ImageUnavailable):
    """The CDN answered 403: its signed link has expired, a fresh one comes with the post's metadata."""


@dataclass(frozen=True)
class ImageRef:
    url: str
    alt_text: str


@dataclass(frozen=True)
class PostData:
    shortcode: str
    media_id: str
    taken_at: datetime
    caption: str
    hashtags: list[str]
    mentions: list[str]
    location_name: str
    likes: int | None
    comments: int | None
    kind: str
    images: list[ImageRef]
    video_url: str = ""  # a video post's video, on Instagram's CDN


@dataclass(frozen=True)
class ProfileData:
    instagram_id: str
    username: str
    full_name: str
    biography: str
    is_private: bool
    post_count: int | None
