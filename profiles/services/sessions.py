"""The signed-in Instagram sessions syncs use (instaloader goes much further signed in)."""

import json

from profiles import instagram
from profiles.models import InstagramSession
from profiles.services.tracking import username_parse


def session_store(*, username: str, cookies: dict) -> InstagramSession:
    """Keep a signed-in session for `username`, replacing an older one of the same account."""
    username = username_parse(text=username)
    session, _ = InstagramSession.objects.update_or_create(
        username=username, defaults={"cookies": cookies, "is_active": True}
    )
    return session


def session_store_cookies(*, username: str, text: str) -> InstagramSession:
    """Store a session from cookies exported from a browser signed in to Instagram."""
    return session_store(username=username, cookies=cookies_from_text(text))


def session_store_login(*, username: str, password: str, ask_code=None) -> InstagramSession:
    """Sign in to Instagram with a password (and a two-factor code if asked) and store the session."""
    username = username_parse(text=username)
    return session_store(username=username, cookies=instagram.cookies_from_login(username, password, ask_code))


def cookies_from_text(text: str) -> dict:
    """Cookies exported from a browser (a JSON object or list, or a Cookie header) as instaloader's session."""
    text = text.strip()
    cookies: dict[str, str] = {}
    if text.startswith(("{", "[")):
        try:
            data = json.loads(text)
        except json.JSONDecodeError:
            raise instagram.InstagramError("These cookies are not valid JSON.") from None
        if isinstance(data, dict):
            cookies = {str(k): str(v) for k, v in data.items()}
        elif isinstance(data, list):
            cookies = {str(c["name"]): str(c["value"]) for c in data if isinstance(c, dict) and "name" in c}
    else:
        for pair in text.split(";"):
            name, _, value = pair.strip().partition("=")
            if name and value:
                cookies[name] = value
    missing = [name for name in ("sessionid", "csrftoken", "ds_user_id") if not cookies.get(name)]
    if missing:
        raise instagram.InstagramError(
            f"These cookies lack {', '.join(missing)}: export them while signed in to Instagram."
        )
    return cookies
