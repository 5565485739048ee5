"""Search latency at 100,000 photos: the search service and the HTTP endpoint, warm, query encoding included.

The photos have vectors of the default models' sizes (768 for the image-text model, 384 for the
text model) drawn around 2,000 cluster centres (real embeddings cluster by subject), real-length
texts (Flickr8k captions as descriptions and post captions, hashtags, places), 50 profiles, all
tracked by one user. Queries are Flickr8k captions never asked before in the run (so no cached
vector helps), encoded by random-weight models of the default architectures (SigLIP base
patch32-256's text tower, a 12-layer 384-wide BERT for multilingual-e5-small): the encoding cost
is real, the vectors mean nothing.

recall@10 is that of the HNSW path (search.services.nearest) against an exact scan, for queries
drawn like the photos (a photo's vector moved a little), on both vector columns.

    .venv/bin/python bench/search_latency.py [--photos 100000] [--queries 200]

The last line is one JSON object with the figures.
"""

import argparse
import json
import os
import random
import statistics
import sys
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "photosearch.settings_test")
os.environ["HF_HUB_OFFLINE"] = "1"
FLICKR = ROOT.parent / "shared" / "data" / "flickr8k" / "Flickr8k.token.txt"
PLACES = ["Lisbon, Portugal", "Paris, France", "Kyoto, Japan", "Marrakesh, Morocco", "New York", "Saint-Malo", ""]
TAGS = ["travel", "sunset", "summer", "beach", "mountains", "food", "streetphotography", "nature", "city", "love"]


def unit_rows(rng, centres, assignment, spread):
    vectors = centres[assignment] + rng.standard_normal((len(assignment), centres.shape[1]), dtype=np.float32) * (
        spread / np.sqrt(centres.shape[1])
    )
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def vector_text(vector) -> str:
    return "[" + ",".join(f"{x:.4f}" for x in vector) + "]"


def load(count: int, user, settings) -> None:
    """Insert `count` posts with one photo each, by COPY, then build the HNSW indexes on the full table."""
    from django.db import connection

    from profiles.models import InstagramProfile, Tracking

    rng = np.random.default_rng(0)
    captions = [line.split("\t")[1].strip() for line in FLICKR.read_text().splitlines()]
    profiles = [InstagramProfile.objects.create(username=f"profile{n}") for n in range(50)]
    Tracking.objects.bulk_create([Tracking(user=user, profile=profile) for profile in profiles])
    clusters = rng.integers(0, 2000, count)
    image = unit_rows(
        rng, unit_rows(rng, rng.standard_normal((2000, 768), dtype=np.float32), np.arange(2000), 0), clusters, 0.8
    )
    text = unit_rows(
        rng, unit_rows(rng, rng.standard_normal((2000, 384), dtype=np.float32), np.arange(2000), 0), clusters, 0.8
    )
    with connection.cursor() as cursor:
        cursor.execute("DROP INDEX photo_image_embedding_hnsw, photo_text_embedding_hnsw")
        raw = cursor.connection
        with raw.cursor().copy(
            "COPY profiles_post (id, profile_id, shortcode, media_id, taken_at, caption, hashtags, mentions, "
            "location_name, kind, created_at) FROM STDIN"
        ) as copy:
            for n in range(count):
                tags = random.Random(n).sample(TAGS, 2)
                caption = f"{captions[(7 * n + 1) % len(captions)]} #{tags[0]} #{tags[1]}"
                tags_array = "{" + ",".join(tags) + "}"
                profile_id, place, when = profiles[n % 50].pk, PLACES[n % len(PLACES)], "2024-01-01T00:00:00Z"
                copy.write_row(
                    (n + 1, profile_id, f"B{n:08d}", "", when, caption, tags_array, "{}", place, "image", when)
                )
        with raw.cursor().copy(
            "COPY profiles_photo (post_id, position, image, sha256, perceptual_hash, alt_text, description, "
            "description_model, image_embedding, image_embedding_model, text_embedding, text_embedding_model, "
            "index_error, width, height, ocr_text, ocr_model, image_hashes, image_hash_bands) FROM STDIN"
        ) as copy:
            for n in range(count):
                copy.write_row((n + 1, 1, f"bench/{n}.jpg", f"{n:064d}", "", "", captions[(7 * n) % len(captions)],
                                settings.DESCRIPTION_MODEL, vector_text(image[n]), settings.IMAGE_TEXT_MODEL,
                                vector_text(text[n]), settings.TEXT_MODEL, "", 1080, 1080,
                                "", "", "{}", "{}"))  # fmt: skip
        cursor.execute("SET maintenance_work_mem = '2GB'")
        for column, index in [
            ("image_embedding", "photo_image_embedding_hnsw"),
            ("text_embedding", "photo_text_embedding_hnsw"),
        ]:
            cursor.execute(
                f"CREATE INDEX {index} ON profiles_photo USING hnsw ({column} halfvec_cosine_ops) "
                "WITH (m = 16, ef_construction = 64)"
            )
        cursor.execute("ANALYZE profiles_post; ANALYZE profiles_photo")
    return image, text


def fresh_queries() -> list[str]:
    """Flickr8k captions (each image's 4th and 5th), in a fixed shuffled order: queries to ask once each."""
    queries = [
        line.split("\t")[1].strip() for line in FLICKR.read_text().splitlines() if "#3\t" in line or "#4\t" in line
    ]
    random.Random(2).shuffle(queries)
    return queries


def hnsw_plans(scope, image, text) -> dict[str, bool]:
    """Whether the planner takes each HNSW index for the service's nearest-neighbour query, at this size."""
    from django.db import connection, transaction
    from pgvector.django import CosineDistance

    used = {}
    for vectors, column in [(image, "image_embedding"), (text, "text_embedding")]:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT set_config('hnsw.iterative_scan', 'relaxed_order', true)")
            nearest = scope.filter(**{f"{column}__isnull": False}).order_by(CosineDistance(column, vectors[0]))
            used[column] = f"photo_{column}_hnsw" in nearest.values_list("pk", flat=True)[:100].explain()
    return used


def recall_at_10(scope, image, text, rng) -> float:
    from search.services import nearest

    hits = total = 0
    for vectors, column in [(image, "image_embedding"), (text, "text_embedding")]:
        for row in rng.integers(0, len(vectors), 50):
            query = vectors[row] + rng.standard_normal(vectors.shape[1], dtype=np.float32) * (
                0.5 / np.sqrt(vectors.shape[1])
            )
            query /= np.linalg.norm(query)
            approximate = nearest(scope, column, query, 10)
            exact = nearest(scope, column, query, 10, exact=True)
            hits += len(approximate & exact)
            total += 10
    return hits / total


def serve(port_holder):
    from wsgiref.simple_server import WSGIRequestHandler, make_server

    from django.core.wsgi import get_wsgi_application

    class Quiet(WSGIRequestHandler):
        def log_message(self, *args):
            pass

    server = make_server("127.0.0.1", 0, get_wsgi_application(), handler_class=Quiet)
    port_holder.append(server.server_port)
    server.serve_forever()


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()

    import django

    django.setup()
    import logging

    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.cache import cache
    from django.db import connection
    from indexing import build_models  # bench/indexing.py: random-weight models of the default shapes

    logging.getLogger("search").setLevel(logging.WARNING)
    paths = build_models()
    settings.IMAGE_TEXT_MODEL, settings.TEXT_MODEL = str(paths["image_text"]), str(paths["text"])
    settings.ALLOWED_HOSTS = ["127.0.0.1"]
    connection.settings_dict["TEST"]["NAME"] = "bench_search_latency"
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        from accounts.models import ApiToken
        from search import services

        cache.clear()
        user = get_user_model().objects.create_user("bench")
        started = time.perf_counter()
        image, text = load(args.photos, user, settings)
        load_s = time.perf_counter() - started
        rng = np.random.default_rng(1)
        scope = services.photos_scope(user=user)
        recall = recall_at_10(scope, image, text, rng)
        plans = hnsw_plans(scope, image, text)

        queries = fresh_queries()
        warmup, service_queries, http_queries = (
            queries[:20],
            queries[20 : 20 + args.queries],
            queries[20 + args.queries : 20 + 2 * args.queries],
        )
        for query in warmup:  # models loaded, word counts cached, caches of PostgreSQL warm
            services.photos_search(user=user, query=query)
        service_ms = []
        for query in service_queries:
            started = time.perf_counter()
            services.photos_search(user=user, query=query)
            service_ms.append(1000 * (time.perf_counter() - started))

        _, key = ApiToken.issue(user=user, name="bench")
        port = []
        threading.Thread(target=serve, args=(port,), daemon=True).start()
        while not port:
            time.sleep(0.05)
        http_ms = []
        for n, query in enumerate(http_queries):
            request = urllib.request.Request(
                f"http://127.0.0.1:{port[0]}/api/search?" + urllib.parse.urlencode({"q": query}),
                headers={"Authorization": f"Bearer {key}"},
            )
            started = time.perf_counter()
            with urllib.request.urlopen(request, timeout=30) as response:
                body = json.load(response)
            elapsed = 1000 * (time.perf_counter() - started)
            if n >= 5:  # the first few warm the server's own connection
                http_ms.append(elapsed)
            assert "results" in body
    finally:
        with connection.cursor() as cursor:  # the server thread's connection, among others
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                [connection.settings_dict["NAME"]],
            )
        connection.close()
        connection.creation.destroy_test_db("bench_search_latency", verbosity=0)

    figures = {
        "photos": args.photos,
        "p50_ms": round(statistics.median(service_ms), 1),
        "p95_ms": round(percentile(service_ms, 0.95), 1),
        "http_p50_ms": round(statistics.median(http_ms), 1),
        "http_p95_ms": round(percentile(http_ms, 0.95), 1),
        "recall_at_10": round(recall, 4),
        "hnsw_index_used": plans,
        "queries": len(service_ms),
        "load_and_index_s": round(load_s, 1),
        "encoders": "random weights at the default models' shapes",
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
