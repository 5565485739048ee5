"""The values search takes and gives, which the pages, the API, the CLI and saved searches all use:
the filters, the result and its hits, the error a person reads, and the limits of a query."""

from dataclasses import dataclass, field
from datetime import date

from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from profiles.models import InstagramProfile, Photo, Post
from search.highlights import Match

MAX_QUERY_LENGTH = 300
# Lazy: each is said in the language of the page or API call that meets it.
QUERY_TOO_LONG = format_lazy(_("Keep the description under {count} characters."), count=MAX_QUERY_LENGTH)
QUERY_EMPTY = _("Type what you remember of the photo.")


class SearchError(ValueError):
    """The query or the filters cannot be searched; the message is for the person who typed them."""


class UnknownProfiles(SearchError):
    """Some of the usernames asked for are not among the profiles the user tracks (the API's 404)."""

    def __init__(self, names: list[str]):
        self.names = names
        super().__init__(gettext("You do not track %(names)s.") % {"names": ", ".join(names)})


@dataclass(frozen=True)
class SearchFilters:
    profile_ids: tuple[int, ...] = ()  # empty: every profile the user tracks
    taken_after: date | None = None
    taken_before: date | None = None
    kinds: tuple[str, ...] = ()
    sort: str = "relevance"  # or "date"

    @classmethod
    def of_usernames(cls, *, user, usernames: list[str], **others) -> "SearchFilters":
        """Filters naming the profiles by username, as the API takes them: "natgeo" or "@natgeo", in any case.

        UnknownProfiles names those (as typed) that the user does not track, or may not see.
        """
        tracked = dict(InstagramProfile.objects.tracked_by(user).values_list("username", "pk"))
        wanted = {name: name.strip().removeprefix("@").lower() for name in usernames}
        if unknown := [name for name, username in wanted.items() if username not in tracked]:
            raise UnknownProfiles(unknown)
        return cls(profile_ids=tuple(tracked[username] for username in wanted.values()), **others)


@dataclass
class PostHit:
    post: Post
    photo: Photo
    score: float
    signals: list[str]
    exact: list[str]
    terms: list[str]  # query words to highlight
    matched: list[Match] = field(default_factory=list)  # where the query's words were found


@dataclass
class SearchResult:
    query: str
    hits: list[PostHit] = field(default_factory=list)  # the requested page
    total: int = 0  # posts above the relevance floor
    page: int = 1
    missing_models: list[str] = field(default_factory=list)  # why some signals were left out
    by_image: bool = False  # a search by a photo (search.by_image), not by words
    ranking_key: str = ""  # the kept ranking it is a page of (search.ranking_cache): its cards can be kept too
    has_next: bool = False  # more posts on the next page (the service that paged it says)
