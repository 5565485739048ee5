"""python manage.py search ("QUERY" | --image PATH) [--user USERNAME] [--profile P ...] [--limit N] [--json]"""

from urllib.parse import urlsplit

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from profiles.models import InstagramProfile
from search.api import search_json
from search.by_image import ImageSearchError, image_upload_read, photos_by_image
from search.services import photos_search
from search.types import PostHit, SearchError, SearchFilters

DEFAULT_LIMIT = 10


class Command(BaseCommand):
    help = (
        "Search the photos by description, as /search does, and print the ranked posts. Without --user: "
        "every stored profile (an administrator's view)."
    )

    def add_arguments(self, parser):
        parser.add_argument("query", nargs="?", help="What you remember of the photo, e.g. 'red boat at sunset'")
        parser.add_argument(
            "--image",
            metavar="PATH",
            help="Search with this photo instead of words: its copies first, then photos that look like it.",
        )
        parser.add_argument("--user", metavar="USERNAME", help="Search as this user: only the profiles they track.")
        parser.add_argument(
            "--profile",
            nargs="+",
            action="extend",
            default=[],
            metavar="P",
            help="Only these profiles (usernames; the option can be repeated).",
        )
        parser.add_argument("--limit", type=int, help=f"How many posts to print (default {DEFAULT_LIMIT}).")
        parser.add_argument(
            "--json",
            dest="as_json",
            action="store_true",
            help="Print the object GET /api/search returns for this query (its first page) instead.",
        )
        parser.add_argument(
            "--base-url",
            default="http://127.0.0.1:8000",
            help="Where the site is served, for the photo URLs of --json (default http://127.0.0.1:8000).",
        )

    def handle(self, *args, query, image, user, profile, limit, as_json, base_url, **options):
        if (query is None) == (image is None):
            raise CommandError(_("Search with words (QUERY) or with a photo (--image PATH), one of them."))
        if as_json and limit is not None:
            raise CommandError(_("--limit is for the plain output; --json prints the API's first page as it is."))
        if limit is not None and limit < 1:
            raise CommandError(_("--limit takes a number of posts, 1 or more."))
        if urlsplit(base_url).scheme not in ("http", "https") or not urlsplit(base_url).netloc:
            wrong = _("--base-url takes the site's address, such as http://127.0.0.1:8000, not %(url)r.")
            raise CommandError(wrong % {"url": base_url})
        searcher = _user(user) if user else None
        filters = SearchFilters(profile_ids=_profile_ids(profile, user=searcher))
        try:
            if image is not None:
                result = photos_by_image(
                    user=searcher, image=_read_image(image), filters=filters, limit=limit or DEFAULT_LIMIT
                )
                for problem in result.missing_models:
                    self.stderr.write(problem)
                hits, total = result.hits, result.total
                if as_json:
                    self.stdout.write(search_json(result, absolute_url=lambda path: base_url.rstrip("/") + path))
                    return
            elif as_json:
                result = photos_search(user=searcher, query=query, filters=filters)
                self.stdout.write(search_json(result, absolute_url=lambda path: base_url.rstrip("/") + path))
                return
            else:
                hits, total = self.hits(searcher, query, filters, limit or DEFAULT_LIMIT)
        except (SearchError, ImageSearchError) as error:
            raise CommandError(str(error)) from None
        for rank, hit in enumerate(hits, start=1):
            # A video's frame says where in the video it is.
            at = "  (" + _("at %(moment)s") % {"moment": hit.photo.moment} + ")" if hit.photo.moment else ""
            self.stdout.write(
                f"{rank:>3}  {hit.post.shortcode:<12} {hit.score:6.2f}  @{hit.post.profile.username}  {_why(hit)}{at}"
            )
        shown = _("%(shown)d of %(total)d matching posts.") % {"shown": len(hits), "total": total}
        self.stderr.write(shown if total else _("No post matches."))

    def hits(self, user, query: str, filters: SearchFilters, limit: int) -> tuple[list[PostHit], int]:
        """The best `limit` posts, page after page, and how many posts match in all."""
        hits, page = [], 1
        while True:
            result = photos_search(user=user, query=query, filters=filters, page=page)
            if page == 1:
                for problem in result.missing_models:
                    self.stderr.write(problem)
            hits += result.hits
            if len(hits) >= limit or not result.has_next:
                return hits[:limit], result.total
            page += 1


def _read_image(path: str):
    """The photo at path, checked and decoded as an upload is."""
    try:
        with open(path, "rb") as file:
            return image_upload_read(file)
    except OSError as exc:
        raise CommandError(_("Cannot read %(path)s: %(why)s.") % {"path": path, "why": exc.strerror or exc}) from None


def _user(username: str):
    try:
        return get_user_model()._default_manager.get_by_natural_key(username)
    except get_user_model().DoesNotExist:
        raise CommandError(_("There is no user named %(name)r.") % {"name": username}) from None


def _profile_ids(names: list[str], *, user) -> tuple[int, ...]:
    """The ids of the profiles named (with or without @), which `user` must track (None: any stored one)."""
    profiles = InstagramProfile.objects.all() if user is None else InstagramProfile.objects.tracked_by(user)
    known = dict(profiles.values_list("username", "pk"))
    wanted = [name.removeprefix("@").lower() for name in names]
    if unknown := [f"@{name}" for name in wanted if name not in known]:
        if user is None:
            raise CommandError(_("No profile named %(names)s is stored.") % {"names": ", ".join(unknown)})
        not_tracked = _("%(user)s does not track %(names)s.")
        raise CommandError(not_tracked % {"user": user.get_username(), "names": ", ".join(unknown)})
    return tuple(known[name] for name in wanted)


def _why(hit: PostHit) -> str:
    """Why the post matched, as the results page says it: `exact (#sunset), text, fulltext`."""
    names = {"same": "same photo", "alike": "looks alike"}
    reasons = [
        f"exact ({', '.join(hit.exact)})" if signal == "exact" else names.get(signal, signal) for signal in hit.signals
    ]
    return ", ".join(reasons) or "-"
