"""Search by a photo: how often a copy of a photo finds its original first, and how fast, at 100,000 photos.

Originals are generated photos (a smooth background with coloured shapes and grain, 1080 px
JPEGs as Instagram serves them), hashed as indexing hashes them (core.images.load_for_models,
then core.perceptual.stored_hashes). Each gets one copy per transformation: resized (30-60%),
cropped (3-10% off each side), recompressed (JPEG quality 15-35), mirrored, turned grey, and
screenshotted (full width on a phone's white or black screen, a clock above, saved at half size).
Each copy is searched with as an upload is (search.by_image: check, decode, hash, look up), with
the image-text model OFF: the perceptual path alone. The table is filled up to --total photos
with rows of random hashes, inserted in bulk, so the lookups run at that size.

Each original is also taken in --screenshots phone screenshots of the app (search/tests/screenshots.py:
status bar, headers with the author's avatar and name, action icons, likes and caption, the navigation
bar; light, dark or dim; five phone sizes; half of them in a feed, between the end of the post above
and the start of the next; half of them sent on, downscaled and recompressed as a messaging app does).

    .venv/bin/python bench/by_image.py [--originals 100] [--total 100000] [--screenshots 4]

The last line is one JSON object with the figures: first_rate (share of copies whose original
comes first), top3_rate, by_transformation, latency_ms (p50, p95) of one search, and
screenshot_first_rate (the same share for the phone screenshots), screenshot_by_kind, screenshot_latency_ms.
"""

import io
import random
import statistics
import sys
import time
from datetime import UTC, datetime

import harness
from PIL import Image, ImageDraw, ImageFilter, ImageOps


def original(seed: int, size: int = 1080) -> Image.Image:
    rng = random.Random(seed)
    small = Image.new("RGB", (4, 4))
    small.putdata([tuple(rng.randrange(256) for _ in range(3)) for _ in range(16)])
    image = small.resize((size, size), Image.Resampling.BICUBIC)
    draw = ImageDraw.Draw(image)
    for _ in range(rng.randrange(3, 9)):
        x, y = rng.randrange(size), rng.randrange(size)
        box = (x, y, x + rng.randrange(size // 12, size // 2), y + rng.randrange(size // 12, size // 2))
        colour = tuple(rng.randrange(256) for _ in range(3))
        (draw.ellipse if rng.random() < 0.5 else draw.rectangle)(box, fill=colour)
    grain = Image.effect_noise((size, size), 30).convert("RGB")
    return Image.blend(image, grain, 0.15).filter(ImageFilter.GaussianBlur(1.5))


def jpeg(image: Image.Image, quality: int = 90) -> bytes:
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def decoded(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data)).convert("RGB")


def resized(image, rng):
    share = rng.uniform(0.3, 0.6)
    return jpeg(image.resize((round(image.width * share), round(image.height * share)), Image.Resampling.BILINEAR))


def cropped(image, rng):
    left, top, right, bottom = (rng.uniform(0.03, 0.10) for _ in range(4))
    w, h = image.size
    return jpeg(image.crop((round(w * left), round(h * top), round(w * (1 - right)), round(h * (1 - bottom)))))


def recompressed(image, rng):
    return jpeg(image, quality=rng.randrange(15, 36))


def mirrored(image, rng):
    return jpeg(ImageOps.mirror(image))


def grey(image, rng):
    return jpeg(ImageOps.grayscale(image))


def screenshot(image, rng):
    background, ink = rng.choice([("white", "black"), ("black", "white")])
    phone = Image.new("RGB", (1170, 2532), background)
    top = rng.randrange(300, 700)
    phone.paste(image.resize((1170, 1170 * image.height // image.width)), (0, top))
    draw = ImageDraw.Draw(phone)
    draw.text((60, 50), "9:41", fill=ink, font_size=48)
    draw.text((60, top - 90), "@photosearch_demo", fill=ink, font_size=40)
    draw.rectangle((1000, 60, 1100, 100), outline=ink, width=4)  # a battery
    buffer = io.BytesIO()
    phone.resize((585, 1266)).save(buffer, "PNG")
    return buffer.getvalue()


TRANSFORMATIONS = [resized, cropped, recompressed, mirrored, grey, screenshot]


def fill(total: int, profile, rng: random.Random) -> None:
    """Rows of random hashes up to `total` photos, 100 photos a post, inserted in bulk."""
    from core import perceptual
    from profiles.models import Photo, Post

    have = Photo.objects.count()
    posts = Post.objects.bulk_create(
        Post(profile=profile, shortcode=f"Fill{n:06d}", taken_at=datetime(2024, 1, 1, tzinfo=UTC))
        for n in range((total - have + 99) // 100)
    )
    rows = []
    for number in range(total - have):
        hashes = [rng.getrandbits(64) - (1 << 63) for _ in range(10)]
        post = posts[number // 100]
        rows.append(
            Photo(
                post=post,
                position=number % 100 + 1,
                image=f"fill/{number}.jpg",
                width=1080,
                height=1080,  # known: Django would otherwise open the (absent) file to read them
                sha256=f"{number:064x}",
                image_hashes=hashes,
                image_hash_bands=perceptual.hash_bands(hashes),
            )
        )
    Photo.objects.bulk_create(rows, batch_size=5000)


def main() -> None:
    parser = harness.parser(__doc__)
    parser.add_argument("--originals", type=int, default=100)
    parser.add_argument("--total", type=int, default=100_000)
    parser.add_argument("--screenshots", type=int, default=4, help="phone screenshots of each original")
    args = harness.start(parser)
    from django.conf import settings

    settings.IMAGE_TEXT_MODEL = ""  # the perceptual path alone
    with harness.test_database("bench_by_image"):
        figures = run(args.originals, args.total, args.screenshots)
    harness.report(figures)


def run(count: int, total: int, screenshots: int) -> dict:
    from django.db import connection

    from core import perceptual
    from core.images import load_for_models
    from profiles.models import InstagramProfile, Photo, Post
    from search.by_image import image_upload_read, photos_by_image
    from search.tests.screenshots import Shot, phone_screenshot

    rng = random.Random(0)
    profile = InstagramProfile.objects.create(username="bench")
    started = time.perf_counter()
    originals, pictures = {}, {}
    for seed in range(count):
        data = jpeg(original(seed))
        hashes = perceptual.stored_hashes(load_for_models(io.BytesIO(data)))
        post = Post.objects.create(
            profile=profile, shortcode=f"Orig{seed:05d}", taken_at=datetime(2024, 1, 1, tzinfo=UTC)
        )
        photo = Photo.objects.create(
            post=post,
            position=1,
            image=f"orig/{seed}.jpg",
            width=1080,
            height=1080,
            sha256=f"{seed:064d}",
            image_hashes=hashes,
            image_hash_bands=perceptual.hash_bands(hashes),
        )
        originals[photo.pk], pictures[photo.pk] = seed, decoded(data)
    fill(total, profile, rng)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE profiles_photo")
    print(f"{Photo.objects.count()} photos stored in {time.perf_counter() - started:.0f} s", file=sys.stderr)

    def file_of(data: bytes):
        return io.BytesIO(data)

    photos_by_image(user=None, image=image_upload_read(file_of(jpeg(pictures[next(iter(pictures))]))))  # warm up
    ranks, latencies, lookups, by_transformation = [], [], [], {t.__name__: [] for t in TRANSFORMATIONS}
    for photo_id, picture in pictures.items():
        for transformation in TRANSFORMATIONS:
            copy = transformation(picture, rng)
            began = time.perf_counter()
            image = image_upload_read(file_of(copy))
            read = time.perf_counter()
            result = photos_by_image(user=None, image=image, limit=10)
            latencies.append(time.perf_counter() - began)
            lookups.append(time.perf_counter() - read)
            found = [hit.photo.pk for hit in result.hits]
            rank = found.index(photo_id) + 1 if photo_id in found else None
            ranks.append(rank)
            by_transformation[transformation.__name__].append(rank == 1)
    latencies.sort()
    lookups.sort()

    shot_ranks, shot_latencies, by_kind = [], [], {}
    seeds = list(pictures.values())
    for n, (photo_id, picture) in enumerate(pictures.items()):
        for _ in range(screenshots):
            shot = Shot.drawn(rng)
            copy = phone_screenshot(picture, rng, shot, other=seeds[(n + 1) % len(seeds)])
            began = time.perf_counter()
            result = photos_by_image(user=None, image=image_upload_read(file_of(copy)), limit=10)
            shot_latencies.append(time.perf_counter() - began)
            found = [hit.photo.pk for hit in result.hits]
            first = bool(found) and found[0] == photo_id
            shot_ranks.append(first)
            kinds = (shot.theme, "feed" if shot.feed else "post", "sent_on" if shot.sent_on else "as_taken")
            for kind in (*kinds, f"{shot.phone[0]}x{shot.phone[1]}"):
                by_kind.setdefault(kind, []).append(first)
    shot_latencies.sort()
    return {
        "first_rate": round(sum(rank == 1 for rank in ranks) / len(ranks), 4),
        "top3_rate": round(sum(rank is not None and rank <= 3 for rank in ranks) / len(ranks), 4),
        "by_transformation": {name: round(sum(hits) / len(hits), 3) for name, hits in by_transformation.items()},
        "latency_ms": {
            "p50": round(statistics.median(latencies) * 1000, 1),
            "p95": round(latencies[int(0.95 * (len(latencies) - 1))] * 1000, 1),
        },
        "latency_includes": "checking and decoding the upload, hashing it, the database lookup",
        "lookup_ms": {
            "p50": round(statistics.median(lookups) * 1000, 1),
            "p95": round(lookups[int(0.95 * (len(lookups) - 1))] * 1000, 1),
        },
        "copies": len(ranks),
        "screenshot_first_rate": round(sum(shot_ranks) / max(1, len(shot_ranks)), 4),
        "screenshot_by_kind": {kind: round(sum(hits) / len(hits), 3) for kind, hits in sorted(by_kind.items())},
        "screenshot_latency_ms": {
            "p50": round(statistics.median(shot_latencies) * 1000, 1) if shot_latencies else None,
            "p95": round(shot_latencies[int(0.95 * (len(shot_latencies) - 1))] * 1000, 1) if shot_latencies else None,
        },
        "screenshots": len(shot_ranks),
        "photos": total,
        "image_text_model": "off",
    }


if __name__ == "__main__":
    main()
