from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

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
    "image": _("Looks like what you describe"),
    "text": _("Described much as you put it"),
    "fulltext": _("Words in common"),
    "same": _("The same photo"),
    "alike": _("Looks like your photo"),
}
# Where the words were found (search.highlights names the fields in English, for the API too).
FIELDS = {
    "caption": _("Caption"),
    "alt text": _("Alt text"),
    "description": _("Description"),
    "text in the photo": _("Text in the photo"),
    "place": _("Place"),
    "hashtags": _("Hashtags"),
}


@register.filter
def reason(signal: str) -> str:
    return REASONS.get(signal, signal)


@register.filter
def field_name(field: str) -> str:
    return FIELDS.get(field, field)
