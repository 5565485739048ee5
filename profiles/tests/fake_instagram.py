"""A fake Instagram at the HTTP boundary: requests' transport answers as instagram.com and its CDN do.

Everything above it (instaloader's requests, its error mapping and rate controller, our adapter) runs
for real. Answers are shaped like Instagram's as instaloader 4.16 reads them (docs/instaloader-notes.md).
"""

import http.client
import io
import json
import zlib
from collections import Counter
from functools import cache
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import requests
import urllib3
from PIL import Image

from core.tests.videos import mp4

TIMELINE = "29104886249145907"  # a profile's posts, signed in
PROFILE_QUERY = "27937681195819736"  # a profile's details, signed in
POST_QUERY = "27128499623469141"  # one post's metadata
ANONYMOUS_TIMELINE = "28904005159232689"  # a profile's posts after the first page, signed out
CDN = "https://scontent-fra5-1.cdninstagram.com"
OWNER = {
    "pk": "25025320",
    "username": "natgeotravel",
    "full_name": "Nat Geo Travel",
    "is_private": False,
    "profile_pic_url": f"{CDN}/v/t51.2885-19/natgeotravel_pic.jpg",
}
COOKIES = {"sessionid": "25025320%3Asecret-session-value", "csrftoken": "csrf-secret", "ds_user_id": "111"}
START_PAGE = (
    '<script>["DTSGInitialData",[],{"token":"dtsg-1"}] ["LSD",[],{"token":"lsd-1"}] "IG_USER_EIMU":"111"</script>'
)


def jpeg(color=(200, 30, 30), size=(64, 48)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="JPEG")
    return buffer.getvalue()


@cache
def sample_video() -> bytes:
    """A real small video (2 s, 64x48, MPEG-4 in MP4), one still scene: what the CDN serves for a video post."""
    return mp4(seconds=2, fps=5, size=(64, 48), frame=lambda seconds: Image.new("RGB", (64, 48), (20, 110, 90)))


def video_path(code: str) -> str:
    return urlsplit(f"{CDN}/o1/v/{code}.mp4").path


def image_url(code: str, slide: int) -> str:
    # `se=` asks the CDN for a smaller copy: the adapter must strip it to get full resolution.
    return f"{CDN}/v/t51.2885-15/{code}_{slide}_n.jpg?stp=dst-jpg_e35&se=7&_nc_ht=scontent-fra5-1&oh=00_sig"


def media(code, taken_at, caption=None, *, slides=1, video=False, alt=None, location=None, likes=42, comments=3):
    """A post as Instagram's v1 API gives it (media_type 1 image, 2 video, 8 carousel)."""
    alts = alt if isinstance(alt, list) else [alt] * slides
    node = {
        "pk": str(3_000_000_000_000_000_000 + taken_at),
        "id": f"{3_000_000_000_000_000_000 + taken_at}_25025320",
        "code": code,
        "taken_at": taken_at,
        "media_type": 2 if video else 8 if slides > 1 else 1,
        "caption": {"text": caption} if caption is not None else None,
        "like_count": likes,
        "comment_count": comments,
        "has_liked": False,
        "accessibility_caption": alts[0],
        "user": OWNER,
        "location": location,
        "image_versions2": {"candidates": [{"url": image_url(code, 1), "width": 1080, "height": 1350}]},
    }
    if video:
        node |= {"video_versions": [{"url": f"{CDN}/o1/v/{code}.mp4"}], "video_duration": 12.5, "view_count": 99}
    if slides > 1:
        node["carousel_media"] = [
            {
                "media_type": 1,
                "accessibility_caption": alts[i],
                "image_versions2": {"candidates": [{"url": image_url(code, i + 1), "width": 1080, "height": 1080}]},
            }
            for i in range(slides)
        ]
    return node


class WorkerKilled(BaseException):
    """What a worker killed mid-request looks like from inside: nothing after it runs."""


class FakeInstagram:
    def __init__(self):
        self.users: dict[str, dict] = {}
        self.posts: dict[str, list[dict]] = {}
        self.images: dict[str, bytes] = {}
        self.requests: list[tuple[str, str]] = []  # (what, url), in order
        self.refusals: dict[str, list[tuple[int, str]]] = {}  # what -> answers to give before the real one
        self.kill_at = ""  # an image path whose download kills the worker
        self.network_failure: Exception | None = None  # raised by every request: the network, not Instagram
        self.on_download: dict[str, object] = {}  # image path: what to call (once) as it is downloaded
        self.accounts: dict[str, tuple[str, str]] = {}  # username: (password, two-factor code or "")
        self.expired: Counter = Counter()  # image path: how many more times its signed link answers 403

    # --- Setting it up ---------------------------------------------------------------------

    def add_profile(self, username="natgeotravel", posts=(), **user):
        self.users[username] = {**OWNER, "username": username, "biography": "Travel photos", **user}
        self.posts[username] = list(posts)
        for node in posts:
            for slide in range(1, len(node.get("carousel_media") or [None]) + 1):
                color = (zlib.crc32(node["code"].encode()) % 200, 80 + slide * 20, 120)
                self.images.setdefault(self.image_path(node["code"], slide), jpeg(color))
            for version in node.get("video_versions") or []:
                self.images.setdefault(urlsplit(version["url"]).path, sample_video())

    @staticmethod
    def image_path(code: str, slide: int) -> str:
        return urlsplit(image_url(code, slide)).path

    def refuse(self, what: str, status: int, body: str = "", times: int = 1, location: str = ""):
        """Answer the next `times` requests of kind `what` with this status (and redirect) instead."""
        self.refusals.setdefault(what, []).extend([(status, body, location)] * times)

    def count(self, what: str) -> int:
        return Counter(kind for kind, _ in self.requests)[what]

    # --- Answering -------------------------------------------------------------------------

    def send(self, request: requests.PreparedRequest) -> requests.Response:
        url = urlsplit(request.url)
        form = {k: v[0] for k, v in parse_qs(request.body or "").items()} if isinstance(request.body, str) else {}
        what = self._classify(url, form)
        self.requests.append((what, request.url))
        if self.network_failure is not None:
            raise self.network_failure
        if self.refusals.get(what):
            status, body, location = self.refusals[what].pop(0)
            response = _response(request, status, body, "application/json" if body.startswith("{") else "text/html")
            if location:
                response.headers["Location"] = location
            return response
        return getattr(self, f"_{what}")(request, url, form)

    def _classify(self, url, form) -> str:
        if url.hostname.endswith("cdninstagram.com"):
            return "cdn"
        if url.path == "/api/v1/web/accounts/login/ajax/":
            return "login"
        if url.path == "/accounts/login/ajax/two_factor/":
            return "two_factor"
        if url.path in ("/graphql/query", "/api/graphql"):
            queries = {TIMELINE: "timeline", PROFILE_QUERY: "profile_query", POST_QUERY: "post_query"}
            return queries.get(form["doc_id"], "anonymous_timeline")
        return "start_page" if url.path == "/" else "profile_page"

    def _start_page(self, request, url, form):
        return _response(request, 200, START_PAGE, "text/html", cookies={"csrftoken": "csrf-from-start"})

    def _login(self, request, url, form):
        password, code = self.accounts.get(form["username"], (None, ""))
        if password is None or not form["enc_password"].endswith(f":{password}"):
            return _json(request, {"authenticated": False, "user": password is not None, "status": "ok"})
        if code:
            return _json(request, {"two_factor_required": True, "two_factor_info": {"two_factor_identifier": "2fa-1"}})
        return self._signed_in(request)

    def _two_factor(self, request, url, form):
        if form["verificationCode"] != self.accounts[form["username"]][1]:
            return _json(request, {"status": "fail", "message": "Please check the security code."})
        return self._signed_in(request)

    def _signed_in(self, request):
        body = json.dumps({"authenticated": True, "user": True, "userId": "111", "status": "ok"})
        return _response(request, 200, body, "application/json", cookies=COOKIES)

    def _profile_page(self, request, url, form):
        user = self.users.get(url.path.strip("/"))
        if user is None:
            return _response(request, 404, "<html>Page not found</html>", "text/html")
        posts = self.posts[user["username"]]
        # The page embeds the profile and, for a public one, the codes of its first posts.
        first = {} if user["is_private"] else {"polaris_ordered_timeline_connection": self._codes(posts, 0)}
        data = {"xig_user_by_username": {**user, "id": "page-" + user["pk"], "media_count": len(posts), **first}}
        script = json.dumps({"require": [{"__bbox": {"result": {"data": data}}}]})
        return _response(request, 200, f'<script type="application/json">{script}</script>', "text/html")

    def _profile_query(self, request, url, form):
        pk = json.loads(form["variables"])["id"]
        user = next(u for u in self.users.values() if u["pk"] == pk)
        count = len(self.posts[user["username"]])
        # The session's account follows none of them, unless add_profile(..., friendship_status=...) says so.
        node = {"friendship_status": {"following": False}, **user, "id": pk, "media_count": count}
        return _json(request, {"data": {"user": node}, "status": "ok"})

    def _timeline(self, request, url, form):
        variables = json.loads(form["variables"])
        posts = self.posts[variables["username"]]
        start = int(variables.get("after") or 0)
        page = posts[start : start + 12]
        more = start + 12 < len(posts)
        connection = {
            "edges": [{"node": node, "cursor": str(start + i)} for i, node in enumerate(page)],
            "page_info": {"has_next_page": more, "end_cursor": str(start + 12) if more else None},
        }
        return _json(request, {"data": {"xdt_api__v1__feed__user_timeline_graphql_connection": connection}})

    def _anonymous_timeline(self, request, url, form):
        variables = json.loads(form["variables"])
        posts = next(self.posts[u["username"]] for u in self.users.values() if "page-" + u["pk"] == variables["id"])
        connection = self._codes(posts, int(variables["after"]))
        return _json(request, {"data": {"node": {"polaris_ordered_timeline_connection": connection}}})

    @staticmethod
    def _codes(posts, start: int) -> dict:
        page, more = posts[start : start + 12], start + 12 < len(posts)
        return {
            "edges": [{"node": {"code": node["code"]}} for node in page],
            "page_info": {"has_next_page": more, "end_cursor": str(start + 12) if more else None},
        }

    def _post_query(self, request, url, form):
        code = json.loads(form["variables"])["shortcode"]
        items = [node for posts in self.posts.values() for node in posts if node["code"] == code]
        return _json(request, {"data": {"xdt_api__v1__media__shortcode__web_info": {"items": items}}})

    def _cdn(self, request, url, form):
        if url.path == self.kill_at:
            raise WorkerKilled
        if hook := self.on_download.pop(url.path, None):
            hook()
        if self.expired[url.path] > 0:
            self.expired[url.path] -= 1
            return _response(request, 403, "URL signature expired", "text/plain")
        if url.path not in self.images:
            return _response(request, 404, "", "text/plain")
        content_type = "video/mp4" if url.path.endswith(".mp4") else "image/jpeg"
        return _response(request, 200, self.images[url.path], content_type)


def _response(request, status: int, body, content_type: str, cookies=None) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response.reason = {200: "OK", 302: "Found", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found"}.get(
        status, "Too Many Requests" if status == 429 else "Error"
    )
    content = body.encode() if isinstance(body, str) else body
    response.raw = urllib3.HTTPResponse(body=io.BytesIO(content), preload_content=False, status=status)
    if cookies:
        # Where requests reads Set-Cookie from: the http.client message behind urllib3's response.
        lines = "".join(f"Set-Cookie: {name}={value}; Path=/\r\n" for name, value in cookies.items())
        message = http.client.parse_headers(io.BytesIO(f"{lines}\r\n".encode()))
        response.raw._original_response = SimpleNamespace(msg=message, isclosed=lambda: True, close=lambda: None)
        response.cookies = requests.cookies.cookiejar_from_dict(cookies)
    response.headers["Content-Type"] = content_type
    response.url = request.url
    response.request = request
    return response


def _json(request, data) -> requests.Response:
    return _response(request, 200, json.dumps(data), "application/json")


ARABIC = "غروب الشمس في البتراء #الأردن #travel"
JAPANESE = "京都の紅葉がきれい #京都 #autumn @kyoto_guide"
ACCENTED = "Café crème à Montréal, été 2024 #québec"
EMOJI = "Sunset over the dunes 🌅🐪 #sahara #Travel with @natgeo"
BERLIN = {"pk": 213385402, "name": "Berlin, Germany", "lat": 52.52, "lng": 13.40}


def sample_posts() -> list[dict]:
    """Posts of every shape a profile has, newest first, as the timeline lists them."""
    return [
        media("C7emoji0001", 1716900000, EMOJI, location=BERLIN, alt="May be an image of desert and sky"),
        media("C7carou0002", 1716800000, "Three views of Kyoto", slides=3, alt=["a temple", None, "a red maple"]),
        media("C7video0003", 1716700000, "Waves #ocean", video=True, alt=None),
        media("C7arabi0004", 1716600000, ARABIC),
        media("C7japan0005", 1716500000, JAPANESE, likes=None),
        media("C7accen0006", 1716400000, ACCENTED),
        media("C7nocap0007", 1716300000, None, comments=0),
    ]
