"""Phone screenshots of a post, as people take them in Instagram's app: what search by photo is given most.

A screenshot holds the photo among the app's chrome: the status bar (clock, signal, battery), the app's
or the post's header, the author's avatar and name, the action icons, the likes, the caption, and the
navigation bar; in a feed, the end of the post above and the start of the one below. Light or dark,
at the widths of common phones, kept as taken (PNG) or sent on through a messaging app (downscaled,
recompressed as JPEG). Drawn with Pillow's own font, so no system font is needed.

Used by the tests (search/tests/test_by_image.py) and bench/by_image.py.
"""

import io
import random
from dataclasses import dataclass

from PIL import Image, ImageDraw

# (width, height) of the screens of common phones, in pixels.
PHONES = [(1080, 2340), (1170, 2532), (1284, 2778), (720, 1600), (1080, 1920)]
THEMES = {
    "light": {"background": (255, 255, 255), "ink": (0, 0, 0), "muted": (115, 115, 115)},
    "dark": {"background": (0, 0, 0), "ink": (245, 245, 245), "muted": (168, 168, 168)},
    "dim": {"background": (18, 18, 18), "ink": (250, 250, 250), "muted": (160, 160, 160)},
}
# Heights of the post's header and of the navigation bar, in hundredths of the screen's width.
HEADER, NAVIGATION = 13, 14
WORDS = [
    "sunset",
    "beach",
    "travel",
    "summer",
    "with",
    "friends",
    "what",
    "a",
    "day",
    "lovely",
    "view",
    "never",
    "forget",
    "this",
    "place",
    "again",
]


@dataclass(frozen=True)
class Shot:
    """How a screenshot is taken: the phone, the theme, whether it is a feed, and how it was sent on."""

    phone: tuple[int, int]
    theme: str
    feed: bool  # the end of the post above and the start of the next one around it
    sent_on: bool  # downscaled and recompressed as a messaging app does

    @classmethod
    def drawn(cls, rng: random.Random) -> "Shot":
        return cls(rng.choice(PHONES), rng.choice(list(THEMES)), rng.random() < 0.5, rng.random() < 0.5)


def phone_screenshot(photo: Image.Image, rng: random.Random, shot: Shot | None = None, *, other=None) -> bytes:
    """The encoded screenshot of a post showing `photo` (`other`: a photo of the posts around it in a feed)."""
    shot = shot or Shot.drawn(rng)
    width, height = shot.phone
    colours = THEMES[shot.theme]
    screen = Image.new("RGB", (width, height), colours["background"])
    draw = ImageDraw.Draw(screen)
    unit = width / 100  # sizes in hundredths of the screen's width, as apps lay out
    y = _status_bar(draw, unit, width, colours)
    y = _app_header(draw, unit, width, y, colours, rng, feed=shot.feed)
    shown = photo.resize((width, width * photo.height // photo.width))
    # The person scrolled until the whole photo was on screen: what is left shows the posts around it.
    room = height - NAVIGATION * unit - (y + HEADER * unit + shown.height)
    lines = rng.randrange(1, 4)
    if shot.feed and other is not None and room > _below_height(lines) * unit + unit:
        tail = other.resize((width, width * other.height // other.width))  # the end of the post above
        cut = round(rng.uniform(0.1, 1) * min(tail.height, room - _below_height(lines) * unit))
        screen.paste(tail.crop((0, tail.height - cut, width, tail.height)), (0, round(y)))
        y = _below_photo(draw, unit, width, y + cut, colours, rng, lines)
    y = _post_header(draw, unit, width, y, colours, rng)
    screen.paste(shown, (0, round(y)))
    y = _below_photo(draw, unit, width, y + shown.height, colours, rng, rng.randrange(1, 4))
    if shot.feed and other is not None and y < height:  # the next post starts below
        y = _post_header(draw, unit, width, y, colours, rng)
        screen.paste(other.resize((width, width * other.height // other.width)), (0, round(y)))
    _navigation_bar(draw, unit, width, height, colours)
    buffer = io.BytesIO()
    if shot.sent_on:
        share = rng.uniform(0.3, 0.6)
        small = screen.resize((round(width * share), round(height * share)), Image.Resampling.BILINEAR)
        small.save(buffer, "JPEG", quality=rng.randrange(45, 80))
    else:
        screen.save(buffer, "PNG")
    return buffer.getvalue()


def _status_bar(draw, unit, width, colours) -> float:
    ink = colours["ink"]
    draw.text((6 * unit, 1.5 * unit), "9:41", fill=ink, font_size=round(4 * unit))
    for bar in range(4):  # signal
        x = width - 26 * unit + bar * 1.6 * unit
        draw.rectangle((x, 5 * unit - bar * unit, x + unit, 5.5 * unit), fill=ink)
    draw.rounded_rectangle((width - 12 * unit, 2 * unit, width - 5 * unit, 5.5 * unit), unit, outline=ink, width=2)
    draw.rectangle((width - 11.2 * unit, 2.8 * unit, width - 7.5 * unit, 4.7 * unit), fill=ink)  # battery
    return 8 * unit


def _app_header(draw, unit, width, y, colours, rng, *, feed) -> float:
    ink = colours["ink"]
    if feed:
        draw.text((4 * unit, y + 2 * unit), "Instagram", fill=ink, font_size=round(7 * unit))
        draw.ellipse((width - 21 * unit, y + 3 * unit, width - 15 * unit, y + 9 * unit), outline=ink, width=3)
        draw.rounded_rectangle(
            (width - 10 * unit, y + 3 * unit, width - 4 * unit, y + 9 * unit), unit, outline=ink, width=3
        )
    else:  # a post opened from a profile: a back arrow and the title
        draw.line((4 * unit, y + 6 * unit, 8 * unit, y + 3 * unit), fill=ink, width=4)
        draw.line((4 * unit, y + 6 * unit, 8 * unit, y + 9 * unit), fill=ink, width=4)
        draw.text((40 * unit, y + 3 * unit), "Posts", fill=ink, font_size=round(5 * unit))
    return y + 12 * unit


def _post_header(draw, unit, width, y, colours, rng) -> float:
    avatar = tuple(rng.randrange(256) for _ in range(3))
    draw.ellipse((3 * unit, y + 2 * unit, 12 * unit, y + 11 * unit), fill=avatar, outline=(225, 48, 108), width=3)
    draw.text((15 * unit, y + 3 * unit), rng.choice(["natgeotravel", "photosearch_demo", "marie.voyage"]),
              fill=colours["ink"], font_size=round(3.6 * unit))  # fmt: skip
    draw.text((15 * unit, y + 7.2 * unit), "Lisbon, Portugal", fill=colours["ink"], font_size=round(3 * unit))
    for dot in range(3):
        x = width - 8 * unit + dot * 1.8 * unit
        draw.ellipse((x, y + 6 * unit, x + 0.9 * unit, y + 6.9 * unit), fill=colours["ink"])
    return y + HEADER * unit


def _below_height(lines: int) -> float:
    """The height of what is below a photo (icons, likes, `lines` of caption, comments, time), in units."""
    return 27.5 + 5 * lines


def _below_photo(draw, unit, width, y, colours, rng, lines) -> float:
    ink, muted = colours["ink"], colours["muted"]
    top = y + 2.5 * unit
    draw.pieslice((3 * unit, top, 10 * unit, top + 7 * unit), 180, 360, outline=ink, width=3)  # a heart's top
    draw.polygon([(3 * unit, top + 3.5 * unit), (10 * unit, top + 3.5 * unit), (6.5 * unit, top + 7.5 * unit)],
                 outline=ink, width=3)  # fmt: skip
    draw.ellipse((14 * unit, top, 21 * unit, top + 7 * unit), outline=ink, width=3)  # comment
    draw.polygon([(25 * unit, top), (32 * unit, top + 3 * unit), (25 * unit, top + 7 * unit)], outline=ink, width=3)
    draw.rectangle((width - 10 * unit, top, width - 4.5 * unit, top + 7 * unit), outline=ink, width=3)  # bookmark
    y = top + 10 * unit
    draw.text((3 * unit, y), f"{rng.randrange(100, 99999):,} likes", fill=ink, font_size=round(3.6 * unit))
    y += 5 * unit
    for _ in range(lines):  # the caption's lines
        draw.text((3 * unit, y), " ".join(rng.sample(WORDS, 6)), fill=ink, font_size=round(3.6 * unit))
        y += 5 * unit
    draw.text((3 * unit, y), f"View all {rng.randrange(2, 300)} comments", fill=muted, font_size=round(3.4 * unit))
    draw.text((3 * unit, y + 5 * unit), "2 hours ago", fill=muted, font_size=round(2.8 * unit))
    return y + 10 * unit  # top + _below_height(lines) units


def _navigation_bar(draw, unit, width, height, colours) -> None:
    top = height - NAVIGATION * unit
    draw.rectangle((0, top, width, height), fill=colours["background"])
    draw.line((0, top, width, top), fill=colours["muted"], width=1)
    for slot in range(5):
        x = (slot * 20 + 7) * unit
        if slot == 4:
            draw.ellipse((x, top + 3 * unit, x + 7 * unit, top + 10 * unit), fill=colours["muted"])  # the user
        else:
            draw.rounded_rectangle(
                (x, top + 3 * unit, x + 6 * unit, top + 9 * unit), unit, outline=colours["ink"], width=3
            )
