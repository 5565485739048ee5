import re

from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe

from search.ranking import fold

register = template.Library()

_WORD = re.compile(r"\w+", re.UNICODE)


@register.filter
def highlight(text: str, terms: list[str]):
    """The text, escaped, with each word that starts with a searched term (a stem: "boat" in "boats") in <mark>."""
    text = str(text or "")
    if not terms:
        return conditional_escape(text)
    pieces, last = [], 0
    for match in _WORD.finditer(text):
        word = match.group()
        if any(fold(word).startswith(term) for term in terms):
            pieces += [conditional_escape(text[last : match.start()]), "<mark>", conditional_escape(word), "</mark>"]
            last = match.end()
    pieces.append(conditional_escape(text[last:]))
    return mark_safe("".join(pieces))  # every piece of text above is escaped


REASONS = {
    "image": "looks like it",
    "text": "described alike",
    "fulltext": "words in common",
}


@register.filter
def reason(signal: str) -> str:
    return REASONS.get(signal, signal)
