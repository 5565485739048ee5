"""The schema that migrations build: pgvector, HNSW indexes, and the full-text vector's triggers."""

import numpy as np
import pytest
from django.conf import settings
from django.contrib.postgres.search import SearchQuery
from django.core.management import call_command
from django.db import connection, transaction
from pgvector.django import CosineDistance

from profiles.models import HNSW_EF_CONSTRUCTION, HNSW_M, Photo
from profiles.tests.factories import make_photo, make_post

pytestmark = pytest.mark.django_db


def unit_vector(dimensions, seed):
    vector = np.random.default_rng(seed).standard_normal(dimensions).astype(np.float32)
    return vector / np.linalg.norm(vector)


def test_the_vector_extension_is_installed():
    with connection.cursor() as cursor:
        cursor.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
        (version,) = cursor.fetchone()
    assert tuple(int(part) for part in version.split(".")[:2]) >= (0, 8)


def test_both_embedding_columns_have_an_hnsw_cosine_index_built_with_the_models_settings():
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'profiles_photo'")
        indexes = dict(cursor.fetchall())
    for name, column in [
        ("photo_image_embedding_hnsw", "image_embedding"),
        ("photo_text_embedding_hnsw", "text_embedding"),
    ]:
        assert f"USING hnsw ({column} halfvec_cosine_ops)" in indexes[name]
        assert f"WITH (m='{HNSW_M}', ef_construction='{HNSW_EF_CONSTRUCTION}')" in indexes[name]


def test_the_migrations_match_the_models():
    # A model change without its migration would reach a fresh database only as a missing column.
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def test_the_vector_columns_have_the_configured_sizes():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute "
            "WHERE attrelid = 'profiles_photo'::regclass AND attname LIKE '%%_embedding'"
        )
        types = dict(cursor.fetchall())
    assert types == {
        "image_embedding": f"halfvec({settings.IMAGE_TEXT_DIMENSIONS})",
        "text_embedding": f"halfvec({settings.TEXT_DIMENSIONS})",
    }


def test_a_vector_round_trips_at_half_precision():
    vector = unit_vector(settings.IMAGE_TEXT_DIMENSIONS, seed=1)
    photo = make_photo(image_embedding=vector, image_embedding_model="tiny")
    stored = np.array(Photo.objects.get(pk=photo.pk).image_embedding, dtype=np.float32)
    assert stored.shape == vector.shape
    assert np.allclose(stored, vector, atol=1e-3)


def test_a_nearest_neighbour_query_uses_the_hnsw_index():
    post = make_post()
    for position in range(1, 4):
        make_photo(post=post, position=position, image_embedding=unit_vector(settings.IMAGE_TEXT_DIMENSIONS, position))
    query = unit_vector(settings.IMAGE_TEXT_DIMENSIONS, seed=2)
    nearest = Photo.objects.order_by(CosineDistance("image_embedding", query))[:2]
    with transaction.atomic(), connection.cursor() as cursor:
        # With three rows the planner would rightly scan the table; forbid that to see the index is usable.
        cursor.execute("SET LOCAL enable_seqscan = off")
        # The index still holds the rows of earlier tests, rolled back but not vacuumed yet: a plain scan
        # keeps its ef_search nearest entries, may find them all dead, and return nothing (it did, in CI).
        # The search walks on until it has live rows (search.vectors); so does this scan, in order.
        cursor.execute("SET LOCAL hnsw.iterative_scan = strict_order")
        plan = nearest.explain()
        assert nearest[0].position == 2
    assert "photo_image_embedding_hnsw" in plan


def test_a_photo_is_found_by_its_post_text_with_accents_folded():
    post = make_post(caption="Un café au soleil à Montréal", hashtags=["sunset"], location_name="Québec")
    photo = make_photo(post=post, alt_text="Photo by someone. May be an image of a red boat.")
    found = Photo.objects.filter(search_vector=SearchQuery("cafe", config="simple"))
    assert list(found) == [photo]
    assert Photo.objects.filter(search_vector=SearchQuery("boats", config="english")).exists()
    assert Photo.objects.filter(search_vector=SearchQuery("quebec", config="simple")).exists()
    assert Photo.objects.filter(search_vector=SearchQuery("sunset", config="simple")).exists()


def test_the_photo_text_follows_an_edited_post_caption():
    post = make_post(caption="red boat")
    photo = make_photo(post=post)
    post.caption = "mountain lake"
    post.save(update_fields=["caption"])
    assert not Photo.objects.filter(pk=photo.pk, search_vector=SearchQuery("boat", config="english")).exists()
    assert Photo.objects.filter(pk=photo.pk, search_vector=SearchQuery("lake", config="english")).exists()


def test_the_photo_text_follows_a_new_description():
    photo = make_photo(post=make_post(caption=""))
    photo.description = "a dog running on the beach"
    photo.save(update_fields=["description"])
    assert Photo.objects.filter(pk=photo.pk, search_vector=SearchQuery("dogs", config="english")).exists()
