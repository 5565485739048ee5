"""The one door to Instagram: the only module that imports instaloader (see docs/instaloader-notes.md).

It hands the rest of the app plain data (ProfileData, PostData) and our own exceptions, each with a
message a user can read. One long-lived Instaloader per process: its rate bookkeeping lives in memory,
and instaloader's docs warn that re-creating it often earns 429s.
"""

import json
import logging
import lzma
import re
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import instaloader
import requests
import urllib3
from django.conf import settings
from instaloader import exceptions as ie

from profiles.instagram_data import (
    ImageExpired,
    ImageRef,
    ImageUnavailable,
    InstagramError,
    InstagramUnreachable,
    InstagramWait,
    PostData,
    ProfileData,
    ProfileUnavailable,
)

logger = logging.getLogger(__name__)

# Instagram's own hosts: the site, its API and its CDNs. Nothing else is ever fetched.
_ALLOWED_HOST_SUFFIXES = (".instagram.com", ".cdninstagram.com", ".fbcdn.net")
# Instagram's signed CDN links carry an `se=` parameter that makes the CDN serve a smaller copy.
_SE_PARAMETER = re.compile(r"([?&])se=\d+&?")
_SHORTCODE = re.compile(r"\A[A-Za-z0-9_-]{1,64}\Z")
_KINDS = {"GraphImage": "image", "GraphSidecar": "carousel", "GraphVideo": "video"}


class _CeleryRateController(instaloader.RateController):
    """instaloader's rate bookkeeping, but a long wait is raised (and becomes a Celery retry), never slept."""

    def sleep(self, secs: float):
        if secs > settings.INSTAGRAM_MAX_BLOCKING_WAIT:
            raise InstagramWait(secs, "Instagram asked us to slow down.")
        time.sleep(secs)

    def count_per_sliding_window(self, query_type: str) -> int:
        # Below instaloader's own caps (75 / 200 per 11 min), which accounts get flagged at today.
        if query_type == "other":
            return settings.INSTAGRAM_PAGES_PER_WINDOW
        return settings.INSTAGRAM_QUERIES_PER_WINDOW


_loader: instaloader.Instaloader | None = None
_loaded_session: tuple | None = None
_lock = threading.Lock()


def _new_loader() -> instaloader.Instaloader:
    return instaloader.Instaloader(
        sleep=settings.INSTAGRAM_PAUSE_BETWEEN_REQUESTS,
        quiet=True,
        download_videos=False,  # its own downloads are never used: video_download fetches a video
        save_metadata=False,
        compress_json=True,
        max_connection_attempts=2,  # the second attempt after a 429 is where instaloader asks to wait
        request_timeout=60.0,
        rate_controller=_CeleryRateController,
    )


def loader() -> instaloader.Instaloader:
    """This process's Instaloader, signed in with the newest active InstagramSession if there is one."""
    from profiles.models import InstagramSession

    global _loader, _loaded_session
    with _lock:
        if _loader is None:
            _loader = _new_loader()
        session = InstagramSession.objects.filter(is_active=True).order_by("-updated_at").first()
        key = (session.pk, session.updated_at) if session else None
        if key != _loaded_session:
            if session:
                _loader.context.load_session(session.username, session.cookies)
            else:
                # instaloader has no public way to sign out: a fresh anonymous session is what it starts with.
                _loader.context._session = _loader.context.get_anonymous_session()
                _loader.context.username = None
            _loaded_session = key
        return _loader


def loader_reset() -> None:
    """Forget this process's Instaloader (tests, and after an account's session is replaced)."""
    global _loader, _loaded_session
    with _lock:
        _loader, _loaded_session = None, None


# --- Errors ------------------------------------------------------------------------------------


def _translate(exc: Exception) -> InstagramError:
    """Our exception, with a message for people, for whatever instaloader raised."""
    text = str(exc)
    if isinstance(exc, ie.PrivateProfileNotFollowedException):
        return ProfileUnavailable(
            "This profile is private and the Instagram account photosearch uses does not follow it."
        )
    if isinstance(exc, ie.LoginRequiredException):
        return ProfileUnavailable(
            "Instagram shows this profile only to signed-in visitors: an admin can add an Instagram session."
        )
    if isinstance(exc, ie.ProfileNotExistsException | ie.QueryReturnedNotFoundException):
        return ProfileUnavailable("Instagram has no profile with this username.")
    if isinstance(exc, ie.AbortDownloadException):
        if any(word in text for word in ("checkpoint_required", "challenge_required", "feedback_required")):
            return ProfileUnavailable(
                "Instagram wants the account photosearch uses to be confirmed (a checkpoint): "
                "an admin must sign in to Instagram with it, then store a new session."
            )
        if "login page" in text:
            return ProfileUnavailable(
                "Instagram signed out the account photosearch uses: an admin must store a new session."
            )
        return ProfileUnavailable("Instagram refused the request.")
    if isinstance(exc, ie.ConnectionException):
        cause = exc.__cause__
        if isinstance(cause, ie.TooManyRequestsException) or "429" in text or "Please wait a few minutes" in text:
            return InstagramWait(settings.INSTAGRAM_BACKOFF_SECONDS, "Instagram asked us to slow down.")
        return InstagramUnreachable(settings.INSTAGRAM_BACKOFF_SECONDS)
    return InstagramError("Instagram answered in a way photosearch does not understand.")


def _guarded(call, *args, **kwargs):
    try:
        return call(*args, **kwargs)
    except InstagramError:
        raise
    except (ie.InstaloaderException, ie.AbortDownloadException) as exc:
        logger.warning("Instagram: %s", exc)
        raise _translate(exc) from exc


# --- Reading instaloader's structures ---------------------------------------------------------


def _full_resolution(url: str) -> str:
    return _SE_PARAMETER.sub(r"\1", url).rstrip("&?")


def _best_url(media: dict) -> str:
    return media["image_versions2"]["candidates"][0]["url"]


def _image_refs(node: dict) -> list[ImageRef]:
    """Every image of a post (carousel slides, video thumbnails), read from data already fetched: no request."""
    # Raw v1 media: kept aside by the signed-in iterator, or the node itself when refetched by shortcode.
    iphone = node.get("iphone_struct") or node
    if iphone.get("carousel_media"):
        slides = iphone["carousel_media"]
        return [ImageRef(_full_resolution(_best_url(m)), m.get("accessibility_caption") or "") for m in slides]
    edges = (node.get("edge_sidecar_to_children") or {}).get("edges")
    if edges:
        return [ImageRef(e["node"]["display_url"], e["node"].get("accessibility_caption") or "") for e in edges]
    if iphone.get("image_versions2"):
        url = _full_resolution(_best_url(iphone))
    else:
        url = node.get("display_url") or node.get("display_src") or ""
    return [ImageRef(url, node.get("accessibility_caption") or iphone.get("accessibility_caption") or "")]


def _count(node: dict, *paths: tuple[str, ...]) -> int | None:
    for path in paths:
        value = node
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        if isinstance(value, int):
            return value
    return None


def _post_data(post: instaloader.Post) -> PostData:
    """A Post as plain data, from fields that cost no request (instaloader fetches lazily otherwise)."""
    node = post._node
    # The shortcode names files in storage: anything but Instagram's alphabet is refused, not followed.
    if not _SHORTCODE.match(str(post.shortcode)):
        raise InstagramError("this post's shortcode is not one Instagram makes")
    iphone = node.get("iphone_struct") or {}
    location = node.get("location") or iphone.get("location") or {}
    timestamp = node["date"] if "date" in node else node["taken_at_timestamp"]
    return PostData(
        shortcode=post.shortcode,
        media_id=str(node.get("id") or iphone.get("pk") or ""),
        taken_at=datetime.fromtimestamp(timestamp, UTC),
        caption=post.caption or "",
        hashtags=[tag[:200] for tag in post.caption_hashtags],
        mentions=post.caption_mentions,
        location_name=(location.get("name") or "")[:255],
        likes=_count(node, ("edge_media_preview_like", "count"), ("edge_liked_by", "count")),
        comments=_count(
            node, ("comments",), ("edge_media_to_comment", "count"), ("edge_media_to_parent_comment", "count")
        ),
        kind=_KINDS.get(node.get("__typename"), "image"),
        images=_image_refs(node),
        video_url=_video_url(node),
    )


def _video_url(node: dict) -> str:
    """A video post's video link, read from data already fetched (the v1 media's best version, or GraphQL's)."""
    iphone = node.get("iphone_struct") or node
    if versions := iphone.get("video_versions"):
        return versions[0].get("url") or ""
    return node.get("video_url") or ""


def _profile_data(profile: instaloader.Profile) -> ProfileData:
    node = profile._node
    count = _count(node, ("edge_owner_to_timeline_media", "count"), ("media_count",), ("all_media_count",))
    return ProfileData(
        instagram_id=str(node.get("id") or node.get("pk") or ""),
        username=str(node["username"]).lower(),
        full_name=node.get("full_name") or "",
        biography=node.get("biography") or "",
        is_private=bool(node.get("is_private")),
        post_count=count,
    )


# --- Profiles and their posts -----------------------------------------------------------------


class PostFeed:
    """A profile's posts, newest first, that can stop and later resume where it stopped.

    Its state (instaloader's frozen iterator) is plain JSON, kept in the database between runs. After
    a resume, the last post handed out before the stop comes again: ingesting it twice is harmless.
    """

    def __init__(self, username: str, resume_from: dict | None = None):
        context = loader().context
        self._profile = _guarded(instaloader.Profile.from_username, context, username)
        self._iterator = _guarded(self._profile.get_posts)
        if resume_from:
            try:
                self._iterator.thaw(instaloader.load_structure(context, resume_from))
            except (ie.InstaloaderException, KeyError, TypeError) as exc:
                # Another account's or an outdated state: start again from the newest post, nothing is lost.
                logger.info("Not resuming the posts of %s: %s", username, exc)
        self.start_index = self._iterator.total_index

    @property
    def profile(self) -> ProfileData:
        return _profile_data(self._profile)

    def __iter__(self) -> Iterator[PostData]:
        while True:
            try:
                post = _guarded(next, self._iterator)
            except StopIteration:
                return
            yield _post_data(post)

    def freeze(self) -> dict:
        """The state to resume from, as JSON-ready data."""
        return json.loads(json.dumps(instaloader.get_json_structure(self._iterator.freeze())))


def post_fetch(shortcode: str) -> PostData:
    """One post's metadata, fetched again (its image links are fresh)."""
    post = _guarded(instaloader.Post.from_shortcode, loader().context, shortcode)
    return _post_data(post)


def url_is_instagram(url: str) -> bool:
    """Whether `url` is an https link to one of Instagram's hosts, read the same by every parser.

    The host is taken by the standard library; a link with a user part (`a@host`), a backslash, a
    port or anything else two parsers could read as two different hosts is refused outright.
    """
    if not isinstance(url, str) or "\\" in url or not url.isprintable() or " " in url:
        return False
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return False
    host = (parts.hostname or "").lower()
    if parts.scheme != "https" or port is not None or parts.username is not None or parts.netloc.lower() != host:
        return False
    return any(f".{host}".endswith(suffix) for suffix in _ALLOWED_HOST_SUFFIXES)


# A CDN link may redirect to another of Instagram's hosts; never more than this many times.
_MAX_REDIRECTS = 3


def image_download(url: str) -> bytes:
    """The bytes of one image from Instagram's CDN; refuses other hosts (redirects included) and oversized answers."""
    return _download(url, limit=settings.INSTAGRAM_MAX_IMAGE_BYTES, what="image")


def video_download(url: str) -> bytes:
    """The bytes of one video from Instagram's CDN, as image_download fetches an image, at most VIDEO_MAX_BYTES."""
    return _download(url, limit=settings.VIDEO_MAX_BYTES, what="video")


def _download(url: str, *, limit: int, what: str) -> bytes:
    try:
        response = _get_following_instagram_redirects(url)
        with response:
            _raise_for_download_status(response)
            data = response.raw.read(limit + 1, decode_content=True)
    except ie.QueryReturnedForbiddenException:
        raise ImageExpired(f"Instagram's link to this {what} has expired.") from None
    except ie.QueryReturnedNotFoundException:
        raise ImageUnavailable(f"Instagram no longer has this {what}.") from None
    except (ie.ConnectionException, requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
        # The CDN is not rate-limited: this is the network. The post is not stored yet; a retry gets it.
        logger.warning("Instagram's CDN: %s", exc)
        raise InstagramUnreachable(
            settings.INSTAGRAM_BACKOFF_SECONDS, "Instagram's images could not be reached."
        ) from None
    if len(data) > limit:
        raise ImageUnavailable(f"This {what} is larger than {limit} bytes.")
    return data


def _get_following_instagram_redirects(url: str) -> requests.Response:
    """GET `url` anonymously (as instaloader's get_raw does), following redirects by hand, each one checked."""
    context = loader().context
    with context.get_anonymous_session() as session:
        for _ in range(_MAX_REDIRECTS + 1):
            if not url_is_instagram(url):
                raise ImageUnavailable("This image link does not point to Instagram.")
            response = session.get(url, stream=True, allow_redirects=False)
            if not response.is_redirect:
                return response
            response.close()
            url = urljoin(url, response.headers.get("Location", ""))
    raise ImageUnavailable("Instagram's link to this image redirects too many times.")


def _raise_for_download_status(response: requests.Response) -> None:
    if response.status_code == 403:  # Instagram's answer to an expired signature
        raise ie.QueryReturnedForbiddenException("403 Forbidden")
    if response.status_code == 404:
        raise ie.QueryReturnedNotFoundException("404 Not Found")
    if response.status_code != 200:
        raise ie.ConnectionException(f"HTTP error code {response.status_code}.")


# --- Sessions ---------------------------------------------------------------------------------


def cookies_from_login(username: str, password: str, ask_code: Callable[[], str] | None = None) -> dict:
    """Sign in to Instagram and return the session's cookies; `ask_code` gives a two-factor code if asked.

    Error messages are ours, never instaloader's: those may quote what Instagram answered.
    """
    context = _new_loader().context
    try:
        try:
            context.login(username, password)
        except ie.TwoFactorAuthRequiredException:
            code = ask_code() if ask_code else ""
            if not code:
                raise InstagramError("This account asks for a two-factor code: enter the current one.") from None
            context.two_factor_login(code.strip())
    except ie.BadCredentialsException:
        raise InstagramError("Instagram refused this password or two-factor code.") from None
    except ie.LoginException:
        raise InstagramError("Instagram refused the sign-in (no such account, or a checkpoint).") from None
    except (ie.InstaloaderException, ie.AbortDownloadException, requests.RequestException):
        raise InstagramError("Instagram could not be reached to sign in.") from None
    return context.save_session()


# --- Folders written by `instaloader PROFILE` -------------------------------------------------


class MetadataTooLarge(ValueError):
    """A metadata file decompresses to more than IMPORT_MAX_METADATA_BYTES (a decompression bomb?)."""


def _read_structure(path: Path) -> dict:
    """The JSON in an instaloader metadata file, decompressed and read no further than IMPORT_MAX_METADATA_BYTES."""
    limit = settings.IMPORT_MAX_METADATA_BYTES
    opener = lzma.open if path.name.endswith(".xz") else open
    with opener(path, "rb") as file:  # lzma decompresses as it is read: never more than asked for
        data = file.read(limit + 1)
    if len(data) > limit:
        raise MetadataTooLarge(f"larger than {limit} bytes once decompressed")
    return json.loads(data)


_UNREADABLE = (OSError, lzma.LZMAError, ValueError, KeyError, TypeError, AssertionError, ie.InstaloaderException)


def post_from_file(path: Path) -> PostData:
    """A post from a metadata file that instaloader saved (.json or .json.xz); no request is made."""
    try:
        structure = instaloader.load_structure(_offline_context(), _read_structure(path))
        if not isinstance(structure, instaloader.Post):
            raise InstagramError("this is not a post's metadata")
        return _post_data(structure)
    except InstagramError:
        raise
    except MetadataTooLarge as exc:
        raise InstagramError(f"metadata {exc}") from None
    except (*_UNREADABLE, RecursionError) as exc:  # RecursionError: JSON nested too deep
        raise InstagramError(f"unreadable metadata ({exc.__class__.__name__})") from None


def profile_from_file(path: Path) -> ProfileData | None:
    """The profile a folder's `<username>_<id>.json.xz` describes, or None if the file is something else."""
    try:
        structure = instaloader.load_structure(_offline_context(), _read_structure(path))
    except (*_UNREADABLE, RecursionError):
        return None
    return _profile_data(structure) if isinstance(structure, instaloader.Profile) else None


def _offline_context() -> instaloader.InstaloaderContext:
    # Anonymous and never used for a request: _post_data reads only what the file holds.
    return instaloader.InstaloaderContext(sleep=False, quiet=True)
