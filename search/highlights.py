"""Which searched words a photo's text holds, and where: what "why it matched" shows, highlighted."""

import re
from collections.abc import Iterator
from dataclasses import dataclass

from profiles.models import Photo
from search.scoring import fold

_WORD = re.compile(r"\w+", re.UNICODE)
# Characters of context kept on each side of the first matching word.
CONTEXT = 40


@dataclass(frozen=True)
class Match:
    field: str  # where the words were found: "caption", "alt text", "description", "text in the photo", ...
    excerpt: str  # a short piece of that field around the first word found


def word_matches(text: str, terms: list[str]) -> Iterator[re.Match]:
    """The words of `text` that start with a searched term (a stem: "boat" in "boats"), accents and case aside."""
    stems = tuple(terms)
    for match in _WORD.finditer(text):
        if fold(match.group()).startswith(stems):
            yield match


def photo_matches(photo: Photo, terms: list[str]) -> list[Match]:
    """Each field of the photo (and its post) holding a searched word, with an excerpt around it."""
    post = photo.post
    fields = [
        ("caption", post.caption),
        ("alt text", photo.alt_text),
        ("description", photo.description),
        ("text in the photo", photo.ocr_text),
        ("place", post.location_name),
        ("hashtags", " ".join(f"#{tag}" for tag in post.hashtags)),
    ]
    found = []
    for name, text in fields:
        if text and terms and (first := next(word_matches(text, terms), None)):
            found.append(Match(name, _excerpt(text, first.start(), first.end())))
    return found


def _excerpt(text: str, start: int, end: int) -> str:
    text = " ".join(text.split()) if len(text) <= 2 * CONTEXT + (end - start) else text
    left, right = max(0, start - CONTEXT), min(len(text), end + CONTEXT)
    # Cut at spaces, not inside words.
    if left > 0 and (space := text.find(" ", left, start)) != -1:
        left = space + 1
    if right < len(text) and (space := text.rfind(" ", end, right)) != -1:
        right = space
    piece = " ".join(text[left:right].split())
    return f"{'…' if left > 0 else ''}{piece}{'…' if right < len(text) else ''}"
