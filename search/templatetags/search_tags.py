from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe

from search.highlights import word_matches

register = template.Library()


@register.filter
def highlight(text: str, terms: list[str]):
    """The text, escaped, with each word that starts with a searched term (a stem: "boat" in "boats") in <mark>."""
    text = str(text or "")
    if not terms:
        return conditional_escape(text)
    pieces, last = [], 0
    for match in word_matches(text, terms):
        pieces += [
            conditional_escape(text[last : match.start()]),
            "<mark>",
            conditional_escape(match.group()),
            "</mark>",
        ]
        last = match.end()
    pieces.append(conditional_escape(text[last:]))
    return mark_safe("".join(pieces))  # every piece of text above is escaped


# The vector signals in plain words; words in common are shown as the words themselves, where found.
REASONS = {
    "image": "Looks like what you describe",
    "text": "Described much as you put it",
    "fulltext": "Words in common",
    "same": "The same photo",
    "alike": "Looks like your photo",
}


@register.filter
def reason(signal: str) -> str:
    return REASONS.get(signal, signal)
