"""Search latency at 100,000 photos: the search service and the HTTP endpoint, warm, query encoding included.

The photos have vectors of the default models' sizes (768 for the image-text model, 384 for the
text model) drawn around 2,000 cluster centres (real embeddings cluster by subject), real-length
texts (Flickr8k captions as descriptions and post captions, hashtags, places), 50 profiles, all
tracked by one user. Queries are Flickr8k captions never asked before in the run (so no cached
vector helps), encoded by random-weight models of the default architectures (SigLIP base
patch32-256's text tower, a 12-layer 384-wide BERT for multilingual-e5-small): the encoding cost
is real, the vectors mean nothing.

recall@10 is the share of the true 10 nearest photos (an exact scan) that the search's candidates
from each vector index hold (they are then scored exactly), for queries drawn like the photos (a
photo's vector moved a little), on both vector columns; `filtered_recall_at_10` the same within
each scope below (the worst of them), found as the search finds them (search.vectors: by the
vectors' bits, exactly, or through HNSW).

    .venv/bin/python bench/search_latency.py [--photos 100000] [--queries 200]
    .venv/bin/python bench/search_latency.py --photos 1000000   # build_s, index_mb: about 40 minutes here

`first_search_ms` is the first search of a newly started process once its warm start (search.warmup)
has run, `cold_first_search_ms` the same with WARM_START off (the encoders loaded by that search),
and `first_to_warm` the first search over the median of the next ones in that process.

`stages` has each stage's p50/p95 (core.timing: the query cache, each encoder, the word counts,
each candidate source, the scoring query, ranking and the page). `filtered_*` are the searches of
users who track part of the library (SCOPES: one small profile, 2%, 20%, 50%, all), asked in rounds
with the unscoped ones so that both meet the same load; `filtered_by_share` has each scope's p95,
its ratio to the unscoped p95, its recall@10 and how it was scanned.

The last line is one JSON object with the figures.
"""

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections import defaultdict

import harness
import numpy as np
import psutil

FLICKR = harness.FLICKR8K / "Flickr8k.token.txt"
PLACES = ["Lisbon, Portugal", "Paris, France", "Kyoto, Japan", "Marrakesh, Morocco", "New York", "Saint-Malo", ""]
# The profiles' shares of the library: one large (20%, as "one profile of 20,000 photos"), then
# smaller ones, down to a quarter of a percent. SCOPES are the profiles a user tracks, by the
# share of the library they hold: one small profile, 2%, the large one, half, everything.
PROFILE_SHARES = [0.20] + [0.06] * 5 + [0.02] * 20 + [0.0045] * 20 + [0.0025] * 4
SCOPES = {"0.0025": [46], "0.02": [6], "0.2": [0], "0.5": [0, 1, 2, 3, 4, 5], "1.0": list(range(50))}
TAGS = ["travel", "sunset", "summer", "beach", "mountains", "food", "streetphotography", "nature", "city", "love"]


def unit_rows(rng, centres, assignment, spread):
    vectors = centres[assignment] + rng.standard_normal((len(assignment), centres.shape[1]), dtype=np.float32) * (
        spread / np.sqrt(centres.shape[1])
    )
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def hnsw_settings(photos: int) -> dict[str, int]:
    """The HNSW build settings: the model's own (profiles.models), at every size.

    A lower ef_construction above 200,000 photos shortened the build (449 s for both indexes at a
    million) but cost recall: 0.676 with ef_search 100. pgvector's default, 64, left recall at a
    million photos between 0.926 and 0.956 over three builds, even with ef_search 1,000: hence 128.
    The search raises ef_search with the library's size (search.vectors.ef_search);
    `recall_by_ef_search` says what each value gives.
    """
    from profiles.models import HNSW_EF_CONSTRUCTION, HNSW_M

    return {"m": HNSW_M, "ef_construction": HNSW_EF_CONSTRUCTION}


def load(count: int, user, settings) -> tuple[np.ndarray, np.ndarray, float]:
    """Insert `count` posts with one photo each, by COPY, then build the HNSW indexes on the full table.

    The photos go in by binary COPY (vectors as halfvec bytes): as text, a million rows of vectors
    would be 8 GB to format and parse. Returns the vectors (float16) and the index build's seconds.
    """
    from django.db import connection
    from pgvector import HalfVector
    from pgvector.psycopg import register_vector

    from profiles.models import InstagramProfile, Tracking

    rng = np.random.default_rng(0)
    captions = [line.split("\t")[1].strip() for line in FLICKR.read_text().splitlines()]
    profiles = [InstagramProfile.objects.create(username=f"profile{n}") for n in range(len(PROFILE_SHARES))]
    Tracking.objects.bulk_create([Tracking(user=user, profile=profile) for profile in profiles])
    owner = rng.choice(len(profiles), size=count, p=np.array(PROFILE_SHARES) / sum(PROFILE_SHARES))
    clusters = rng.integers(0, 2000, count)
    image_centres = unit_rows(rng, rng.standard_normal((2000, 768), dtype=np.float32), np.arange(2000), 0)
    text_centres = unit_rows(rng, rng.standard_normal((2000, 384), dtype=np.float32), np.arange(2000), 0)
    image = np.empty((count, 768), dtype=np.float16)
    text = np.empty((count, 384), dtype=np.float16)
    for start in range(0, count, 50_000):  # in slices: a million float32 rows at once is 4.6 GB
        part = clusters[start : start + 50_000]
        image[start : start + len(part)] = unit_rows(rng, image_centres, part, 0.8)
        text[start : start + len(part)] = unit_rows(rng, text_centres, part, 0.8)
    with connection.cursor() as cursor:
        cursor.execute("DROP INDEX photo_image_embedding_hnsw, photo_text_embedding_hnsw")
        raw = cursor.connection
        register_vector(raw)
        with raw.cursor().copy(
            "COPY profiles_post (id, profile_id, shortcode, media_id, taken_at, caption, hashtags, mentions, "
            "location_name, kind, created_at, video) FROM STDIN"
        ) as copy:
            for n in range(count):
                tags = random.Random(n).sample(TAGS, 2)
                caption = f"{captions[(7 * n + 1) % len(captions)]} #{tags[0]} #{tags[1]}"
                tags_array = "{" + ",".join(tags) + "}"
                profile_id, place, when = profiles[owner[n]].pk, PLACES[n % len(PLACES)], "2024-01-01T00:00:00Z"
                copy.write_row(
                    (n + 1, profile_id, f"B{n:08d}", "", when, caption, tags_array, "{}", place, "image", when, "")
                )
        columns = {
            "post_id": "bigint", "position": "smallint", "image": "varchar", "sha256": "varchar",
            "perceptual_hash": "varchar", "alt_text": "text", "description": "text", "description_model": "varchar",
            "image_embedding": "halfvec", "image_embedding_model": "varchar", "text_embedding": "halfvec",
            "text_embedding_model": "varchar", "index_error": "text", "width": "integer", "height": "integer",
            "ocr_text": "text", "ocr_model": "varchar", "image_hashes": "bigint[]", "image_hash_bands": "integer[]",
            "describe": "bool",
        }  # fmt: skip
        with raw.cursor().copy(f"COPY profiles_photo ({', '.join(columns)}) FROM STDIN WITH (FORMAT BINARY)") as copy:
            copy.set_types(list(columns.values()))
            for n in range(count):
                copy.write_row((n + 1, 1, f"bench/{n}.jpg", f"{n:064d}", "", "", captions[(7 * n) % len(captions)],
                                settings.DESCRIPTION_MODEL, HalfVector(image[n]), settings.IMAGE_TEXT_MODEL,
                                HalfVector(text[n]), settings.TEXT_MODEL, "", 1080, 1080,
                                "", "", [], [], True))  # fmt: skip
        started = time.perf_counter()
        cursor.execute("SET maintenance_work_mem = '6GB'")
        options = ", ".join(f"{name} = {value}" for name, value in hnsw_settings(count).items())
        for column, index in [
            ("image_embedding", "photo_image_embedding_hnsw"),
            ("text_embedding", "photo_text_embedding_hnsw"),
        ]:
            cursor.execute(
                f"CREATE INDEX {index} ON profiles_photo USING hnsw ({column} halfvec_cosine_ops) WITH ({options})"
            )
        build_s = time.perf_counter() - started
        cursor.execute("ANALYZE profiles_post; ANALYZE profiles_photo")
    return image, text, build_s


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
            query = vectors[0].astype(np.float32)
            nearest = scope.filter(**{f"{column}__isnull": False}).order_by(CosineDistance(column, query))
            used[column] = f"photo_{column}_hnsw" in nearest.values_list("pk", flat=True)[:100].explain()
    return used


EF_CURVE = (100, 250, 500, 1000)


def recall_at_10(scope, profile_ids, image, text, rng, per_column=50, *, curve=None) -> float:
    """Of the true 10 nearest photos, the share that the search's candidates hold, on each vector column.

    Candidates are what the search asks each index for (SEARCH_CANDIDATES of them, found as
    search_candidates finds them for this scope: exactly, by bits, or through HNSW), and every
    candidate is then scored exactly: a true top-10 photo among them is a photo the search ranks where
    it belongs.
    """
    from django.conf import settings

    from search.vectors import Scan, nearest, scan_for

    scan = scan_for(scope, len(image), profile_ids=profile_ids)
    hits = total = 0
    ids = np.array(scope.values_list("pk", flat=True)) - 1  # photo n+1 has row n's vectors
    for vectors, column in [(image, "image_embedding"), (text, "text_embedding")]:
        for row in rng.choice(ids, per_column):
            query = vectors[row].astype(np.float32) + rng.standard_normal(vectors.shape[1], dtype=np.float32) * (
                0.5 / np.sqrt(vectors.shape[1])
            )
            query /= np.linalg.norm(query)
            candidates = nearest(
                scope, column, query, settings.SEARCH_CANDIDATES, scan=scan, profile_ids=profile_ids, photos=len(image)
            )
            true_ten = nearest(scope, column, query, 10, scan=Scan.EXACT)
            hits += len(candidates & true_ten)
            total += 10
            # The same queries at other ef_search values: what recall each would give (curve: {ef: [hits]}).
            for ef in EF_CURVE if curve is not None else ():
                found = nearest(scope, column, query, settings.SEARCH_CANDIDATES, ef=ef)
                curve.setdefault(ef, []).append(len(found & true_ten))
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


def first_searches(user_id: int, queries: list[str], paths: dict, *, warm_start: bool) -> dict:
    """A new process on this bench's database: its first search (after its warm start, if on) and the next ones."""
    from django.db import connection

    environment = os.environ | {
        "IMAGE_TEXT_MODEL": str(paths["image_text"]),
        "TEXT_MODEL": str(paths["text"]),
        "WARM_START": "1" if warm_start else "0",
    }
    arguments = [sys.executable, __file__, "--child", connection.settings_dict["NAME"], str(user_id), *queries]
    child = subprocess.run(arguments, env=environment, capture_output=True, text=True, timeout=600)
    if child.returncode:
        raise SystemExit(f"The new process failed:\n{child.stderr[-3000:]}")
    return json.loads(child.stdout.splitlines()[-1])


def child(database: str, user_id: int, queries: list[str]) -> None:
    """In a new process: warm up as a web process does (if WARM_START), then search; prints the times as JSON."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection

    from search import services, warmup

    connection.settings_dict["NAME"] = database
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "search": (1_000_000, 60)}
    started = time.perf_counter()
    if warmup.warm_up_in_background() is not None:
        warmup.warm.wait(timeout=300)  # a person searching a few seconds after a deploy
    warm_up_s = time.perf_counter() - started
    user = get_user_model().objects.get(pk=user_id)
    times = []
    for query in queries:
        began = time.perf_counter()
        services.photos_search(user=user, query=query)
        times.append(1000 * (time.perf_counter() - began))
    print(json.dumps({"warm_up_s": round(warm_up_s, 2), "first_ms": times[0], "next_ms": times[1:]}))


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    parser = harness.parser(__doc__)
    parser.add_argument("--photos", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)  # first_searches' new process
    args = harness.start(parser)
    if args.child:
        return child(args.child[0], int(args.child[1]), args.child[2:])
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
    # One user asks every query here, faster than a person types: the per-user rate is not measured.
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "search": (1_000_000, 60)}
    with harness.test_database("bench_search_latency"):
        from accounts.models import ApiToken
        from core import timing
        from profiles.models import InstagramProfile, Tracking
        from search import services
        from search.vectors import ef_search, scan_for

        cache.clear()
        user = get_user_model().objects.create_user("bench")
        started = time.perf_counter()
        image, text, build_s = load(args.photos, user, settings)
        load_s = time.perf_counter() - started
        rng = np.random.default_rng(1)
        scope = services.photos_scope(user=user)
        # Users who track part of the library (SCOPES): every search of theirs is scoped to it.
        profiles = list(InstagramProfile.objects.order_by("pk"))
        scoped_users = {}
        for share, indexes in SCOPES.items():
            scoped_users[share] = get_user_model().objects.create_user(f"bench-{share}")
            Tracking.objects.bulk_create([Tracking(user=scoped_users[share], profile=profiles[i]) for i in indexes])
        curve = {}
        recall = recall_at_10(scope, None, image, text, rng, curve=curve)
        # Near a photo of the scope (the one the user remembers), within it, as the search looks: exactly or by HNSW.
        scoped_recall = {
            share: recall_at_10(
                services.photos_scope(user=scoped),
                services.searchable_profile_ids(user=scoped),
                image,
                text,
                rng,
                per_column=25,
            )
            for share, scoped in scoped_users.items()
        }
        plans = hnsw_plans(scope, image, text)
        del image, text  # the service's memory is measured below without them

        queries = iter(fresh_queries())
        for _ in range(20):  # models loaded, word counts cached, caches of PostgreSQL warm
            services.photos_search(user=user, query=next(queries))
        # In rounds, each user a query of their own: the scoped searches and the unscoped one meet the same load.
        service_ms, stage_ms, scoped_ms = [], defaultdict(list), defaultdict(list)
        for _ in range(args.queries):
            started = time.perf_counter()
            with timing.recorded() as stages:
                services.photos_search(user=user, query=next(queries))
            service_ms.append(1000 * (time.perf_counter() - started))
            for name, milliseconds in stages.items():
                stage_ms[name].append(milliseconds)
            for share, scoped in scoped_users.items():
                started = time.perf_counter()
                services.photos_search(user=scoped, query=next(queries))
                scoped_ms[share].append(1000 * (time.perf_counter() - started))
        p95 = percentile(service_ms, 0.95)
        filtered_by_share = {
            share: {
                "photos": services.photos_scope(user=scoped_users[share]).count(),
                "p50_ms": round(statistics.median(scoped_ms[share]), 1),
                "p95_ms": round(percentile(scoped_ms[share], 0.95), 1),
                "ratio_p95": round(percentile(scoped_ms[share], 0.95) / p95, 2),
                "recall_at_10": round(scoped_recall[share], 4),
                # How the search finds this scope's nearest photos (search.vectors): exact, bits or index.
                "scan": scan_for(
                    services.photos_scope(user=scoped_users[share]),
                    args.photos,
                    profile_ids=services.searchable_profile_ids(user=scoped_users[share]),
                ),
            }
            for share in SCOPES
        }
        http_queries = [next(queries) for _ in range(args.queries)]
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_relation_size('photo_image_embedding_hnsw') + pg_relation_size('photo_text_embedding_hnsw'),"
                " pg_total_relation_size('profiles_photo')"
            )
            index_bytes, table_bytes = cursor.fetchone()

        # A new process's first search, with and without its warm start; 20 more in each for the warm median.
        unasked = [next(queries) for _ in range(42)]
        first = {
            warm_start: first_searches(
                user.pk, unasked[21 * warm_start : 21 * warm_start + 21], paths, warm_start=warm_start
            )
            for warm_start in (True, False)
        }

        _, key = ApiToken.issue(user=user, name="bench")
        port = []
        threading.Thread(target=serve, args=(port,), daemon=True).start()
        while not port:
            time.sleep(0.05)
        http_ms, app_ms = [], []
        for n, query in enumerate(http_queries):
            request = urllib.request.Request(
                f"http://127.0.0.1:{port[0]}/api/search?" + urllib.parse.urlencode({"q": query}),
                headers={"Authorization": f"Bearer {key}"},
            )
            started = time.perf_counter()
            with urllib.request.urlopen(request, timeout=30) as response:
                body = json.load(response)
                server_timing = response.headers["Server-Timing"]
            elapsed = 1000 * (time.perf_counter() - started)
            if n >= 5:  # the first few warm the server's own connection
                http_ms.append(elapsed)
                app_ms.append(float(server_timing.split("app;dur=")[1].split(",")[0]))
            assert "results" in body
        rss_mb = psutil.Process().memory_info().rss / 2**20

    figures = {
        "photos": args.photos,
        "p50_ms": round(statistics.median(service_ms), 1),
        "p95_ms": round(percentile(service_ms, 0.95), 1),
        "http_p50_ms": round(statistics.median(http_ms), 1),
        "http_p95_ms": round(percentile(http_ms, 0.95), 1),
        "recall_at_10": round(recall, 4),
        # The search's ef_search at this size (search.vectors.ef_search), and the recall other values give.
        "ef_search": ef_search(settings.SEARCH_CANDIDATES, args.photos),
        "recall_by_ef_search": {ef: round(sum(hits) / (10 * len(hits)), 4) for ef, hits in curve.items()},
        # Searches of users who track part of the library, by the share they track: the worst, then each.
        "filtered_p95_ms": max(scoped["p95_ms"] for scoped in filtered_by_share.values()),
        "filtered_ratio_p95": max(scoped["ratio_p95"] for scoped in filtered_by_share.values()),
        "filtered_recall_at_10": min(scoped["recall_at_10"] for scoped in filtered_by_share.values()),
        "filtered_by_share": filtered_by_share,
        # Each stage's p50/p95 in the service (core.timing); a stage a query skipped counts as 0.
        "stages": {
            name: {
                "p50": round(statistics.median(values + [0.0] * (len(service_ms) - len(values))), 1),
                "p95": round(percentile(values + [0.0] * (len(service_ms) - len(values)), 0.95), 1),
            }
            for name, values in stage_ms.items()
        },
        # Django's own time for the HTTP requests (its Server-Timing "app"): the rest is the server and the client.
        "http_app_p50_ms": round(statistics.median(app_ms), 1),
        "first_search_ms": round(first[True]["first_ms"], 1),
        "first_to_warm": round(first[True]["first_ms"] / statistics.median(first[True]["next_ms"]), 2),
        "warm_up_s": first[True]["warm_up_s"],
        "cold_first_search_ms": round(first[False]["first_ms"], 1),
        "hnsw_index_used": plans,
        "queries": len(service_ms),
        "load_and_index_s": round(load_s, 1),
        "build_s": round(build_s, 1),  # both HNSW indexes, built on the full table
        "hnsw": hnsw_settings(args.photos),
        "index_mb": round(index_bytes / 2**20),
        "table_mb": round(table_bytes / 2**20),  # the photos table with its indexes (full text, hashes, ...)
        # The search process (Django, both query encoders, the HTTP server), after the queries.
        "process_rss_mb": round(rss_mb),
        "encoders": "random weights at the default models' shapes",
    }
    harness.report(figures)


if __name__ == "__main__":
    main()
