"""Perceptual hashes that survive what people do to a photo before searching with it.

A photo is found again when it was resized, recompressed, cropped a little, mirrored, turned grey
or screenshotted with a border. Each hash is a 64-bit dHash of a greyscale picture, so colour,
size and compression change few bits. A stored photo keeps several: of the picture as given and
without its uniform borders (a screenshot's frame, a letterbox), each also mirrored, each also
centre-cropped; a query is hashed as given and trimmed, whole and centre-cropped, so a mirrored,
cropped or framed copy is near at least one stored hash. A query is also hashed as the photos it
holds (`photo_regions`): a phone screenshot of a post shows the photo among the app's chrome (the
status bar, the author's name, the icons, the caption; in a feed, the posts around it), and the
photo is the largest block of rows that are not chrome. Two hashes are compared by Hamming
distance (the bits that differ); a photo's distance is its nearest pair's.

For an index lookup, each hash is cut into BANDS bands of 16 bits: two hashes within
BANDS * (PROBE_FLIPS + 1) - 1 bits of each other agree on some band up to PROBE_FLIPS bits, so a
query probes each of its bands and their near neighbours (multi-probe) through a GIN index.
"""

import numpy as np
from PIL import Image, ImageFilter, ImageOps

BANDS = 4
BAND_BITS = 64 // BANDS
# Centre crops kept beside the whole picture: a query cropped by about this much still matches.
CROPS = (0.9, 0.8)
# Bits flipped in each band when probing: within BANDS * (PROBE_FLIPS + 1) - 1 = 7 bits, a copy is found.
# Two flips would find 11, but probe 8 times as many keys: half of all photos at 100,000.
PROBE_FLIPS = 1
# Grey levels a border may vary by and still be one uniform border (JPEG noise, a soft shadow).
BORDER_TOLERANCE = 24
# The share of the outermost pixels that must be of one colour for the image to have a frame at all.
UNIFORM_FRAME = 0.9
# A row with more of its pixels away from the frame's colour is part of the picture.
CONTENT_SHARE = 0.25
# Trimming that would keep less than this share of a side is not a border: the picture is kept whole.
MIN_KEPT = 0.25
# Screenshots are looked at this many pixels wide: enough to tell chrome from a photo, and quick.
REGION_WIDTH = 240
# A line with more of its pixels away from the chrome's colour is part of a photo: a line of text,
# an icon or an avatar covers far less of the screen's width; a photo, nearly all of it.
PHOTO_SHARE = 0.6
# Lines of chrome colour inside a photo (a white sky in light mode) up to this share of the width
# do not split it; the gap between two posts (a header, icons, a caption) is wider.
REGION_GAP = 0.04
# A region is a photo if it is at least this share of the screenshot's width on each side.
MIN_REGION = 0.3
# The photos looked up in one screenshot (a feed shows two or three, in part): the largest first.
MAX_REGIONS = 2


def trimmed(image: Image.Image) -> Image.Image:
    """The greyscale image without its borders (a screenshot's frame and status bar), unless that leaves too little.

    Each side is trimmed on its own, when its outermost line is of one colour: a border is the run
    of lines nearly all of that colour (a clock or an icon on it is a few pixels, while a line of
    the photo differs almost everywhere).
    """
    grey = ImageOps.grayscale(image)
    for _ in range(2):  # a frame inside a frame: an app's border around a letterboxed photo
        pixels = np.asarray(grey, dtype=np.int16)
        top, bottom = _border(pixels), _border(pixels[::-1])
        left, right = _border(pixels.T), _border(pixels.T[::-1])
        box = (left, top, grey.width - right, grey.height - bottom)
        if box == (0, 0, grey.width, grey.height):
            break
        if (box[2] - box[0]) < grey.width * MIN_KEPT or (box[3] - box[1]) < grey.height * MIN_KEPT:
            break
        grey = grey.crop(box)
    return grey


def _border(lines: np.ndarray) -> int:
    """How many of the outer lines (lines[0] outermost) are a uniform border."""
    colour = int(np.median(lines[0]))
    if np.mean(np.abs(lines[0] - colour) > BORDER_TOLERANCE) > 1 - UNIFORM_FRAME:
        return 0  # the picture runs to this edge
    content = np.flatnonzero((np.abs(lines - colour) > BORDER_TOLERANCE).mean(axis=1) > CONTENT_SHARE)
    return int(content[0]) if len(content) else 0


def photo_regions(image: Image.Image) -> list[Image.Image]:
    """The photos inside a screenshot (greyscale, largest first): blocks of lines not of the chrome's colour.

    The chrome's colour is that of the top or the bottom line (the status bar and the navigation bar
    are chrome in every theme: white, black or dark grey); a picture with neither line of one colour
    is no screenshot, and gives none. A line belongs to a photo when most of it differs from that
    colour; the largest runs of such lines, narrowed to their columns that do, are the photos.
    """
    grey = ImageOps.grayscale(image)
    scale = grey.width / REGION_WIDTH
    small = grey.resize((REGION_WIDTH, max(1, round(grey.height / scale))), Image.Resampling.BOX)
    pixels = np.asarray(small, dtype=np.int16)
    chrome = _chrome_colour(pixels)
    if chrome is None:
        return []
    away = np.abs(pixels - chrome) > BORDER_TOLERANCE
    regions = []
    for top, bottom in _runs(away.mean(axis=1) > PHOTO_SHARE, gap=round(REGION_GAP * REGION_WIDTH)):
        columns = _runs(away[top:bottom].mean(axis=0) > PHOTO_SHARE, gap=round(REGION_GAP * REGION_WIDTH))
        if not columns:
            continue
        left, right = max(columns, key=lambda run: run[1] - run[0])
        if min(bottom - top, right - left) < MIN_REGION * REGION_WIDTH:
            continue
        if (right - left, bottom - top) == small.size:
            continue  # the whole picture: hashed as such already
        box = tuple(round(value * scale) for value in (left, top, right, bottom))
        regions.append(grey.crop(box))
    regions.sort(key=lambda region: -region.width * region.height)
    return regions[:MAX_REGIONS]


def _chrome_colour(pixels: np.ndarray) -> int | None:
    """The grey level of the top line, or else of the bottom one, where it is of one colour (a screenshot's)."""
    for line in (pixels[0], pixels[-1]):
        colour = int(np.median(line))
        if np.mean(np.abs(line - colour) <= BORDER_TOLERANCE) >= UNIFORM_FRAME:
            return colour
    return None


def _runs(flags: np.ndarray, gap: int) -> list[tuple[int, int]]:
    """(start, end) of the runs of True in flags, runs apart by `gap` or fewer False merged."""
    found: list[list[int]] = []
    for index in np.flatnonzero(flags):
        if found and index - found[-1][1] <= gap:
            found[-1][1] = int(index) + 1
        else:
            found.append([int(index), int(index) + 1])
    return [(start, end) for start, end in found]


def dhash(grey: Image.Image) -> int:
    """64-bit difference hash: is each of 8x8 cells brighter than its right neighbour, as a signed bigint."""
    small = grey.filter(ImageFilter.BoxBlur(1)).resize((9, 8), Image.Resampling.BOX)
    pixels = small.tobytes()
    bits = 0
    for row in range(8):
        for column in range(8):
            bits = (bits << 1) | (pixels[row * 9 + column] > pixels[row * 9 + column + 1])
    return bits - (1 << 64) if bits >= 1 << 63 else bits  # PostgreSQL's bigint is signed


def _centre(grey: Image.Image, share: float) -> Image.Image:
    width, height = grey.size
    left, top = round(width * (1 - share) / 2), round(height * (1 - share) / 2)
    return grey.crop((left, top, width - left, height - top))


def _pictures(image: Image.Image) -> list[Image.Image]:
    """The greyscale picture as given and without its borders: when a photo's own edge looks like a
    border, one of them still agrees with a copy that was trimmed the other way."""
    grey, inner = ImageOps.grayscale(image), trimmed(image)
    return [grey] if inner.size == grey.size else [grey, inner]


def stored_hashes(image: Image.Image) -> list[int]:
    """The hashes kept for a photo: whole and trimmed, each also mirrored, each also centre-cropped (distinct)."""
    hashes = []
    for grey in _pictures(image):
        for picture in (grey, ImageOps.mirror(grey)):
            for candidate in (picture, *(_centre(picture, share) for share in CROPS)):
                hashes.append(dhash(candidate))
    return list(dict.fromkeys(hashes))


def query_hashes(image: Image.Image) -> list[int]:
    """The hashes a query photo is looked up by: whole, trimmed, and each photo inside it (a screenshot's),
    each also centre-cropped (distinct)."""
    pictures = [*_pictures(image), *photo_regions(image)]
    return list(dict.fromkeys(dhash(c) for grey in pictures for c in (grey, *(_centre(grey, s) for s in CROPS))))


def distance(a: int, b: int) -> int:
    return ((a ^ b) & ((1 << 64) - 1)).bit_count()


def bands(value: int) -> list[int]:
    """The hash's bands, each tagged with its position: (band << 16) | bits, as int keys for a GIN index."""
    unsigned = value & ((1 << 64) - 1)
    mask = (1 << BAND_BITS) - 1
    return [(band << BAND_BITS) | ((unsigned >> (band * BAND_BITS)) & mask) for band in range(BANDS)]


def hash_bands(hashes: list[int]) -> list[int]:
    """Every band key of a photo's hashes (distinct): what its GIN-indexed column holds."""
    return sorted({key for value in hashes for key in bands(value)})


def probes(value: int, flips: int = PROBE_FLIPS) -> list[int]:
    """The band keys a stored hash within BANDS * (flips + 1) - 1 bits of `value` holds at least one of."""
    keys = []
    for key in bands(value):
        band, bits = key >> BAND_BITS, key & ((1 << BAND_BITS) - 1)
        keys.append(key)
        if flips >= 1:
            keys += [(band << BAND_BITS) | (bits ^ (1 << i)) for i in range(BAND_BITS)]
        if flips >= 2:
            keys += [
                (band << BAND_BITS) | (bits ^ (1 << i) ^ (1 << j))
                for i in range(BAND_BITS)
                for j in range(i + 1, BAND_BITS)
            ]
    return keys
