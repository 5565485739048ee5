"""With a real text model (all-MiniLM-L6-v2), photos that say the same thing get close text vectors."""

import numpy as np
import pytest

from profiles.models import Photo
from profiles.tests.factories import make_photo, make_post
from search.indexing import photos_index
from search.ml import registry

pytestmark = pytest.mark.django_db


def described(post, position, description, settings):
    # Written as if by the configured describer, so that only the text embedder runs.
    return make_photo(
        post=post, position=position, description=description, description_model=settings.DESCRIPTION_MODEL
    )


def test_photos_that_mean_the_same_get_close_text_vectors_and_a_different_one_does_not(minilm, settings):
    post = make_post(caption="")
    dog = described(post, 1, "a dog runs along the beach", settings)
    puppy = described(post, 2, "a puppy running on the sand by the sea", settings)
    pasta = described(post, 3, "a plate of spaghetti with tomato sauce", settings)
    photos_index(photo_ids=[dog.pk, puppy.pk, pasta.pk])
    vectors = {p.pk: np.array(p.text_embedding, dtype=np.float32) for p in Photo.objects.all()}
    assert Photo.objects.get(pk=dog.pk).text_embedding_model == minilm
    same, different = vectors[dog.pk] @ vectors[puppy.pk], vectors[dog.pk] @ vectors[pasta.pk]
    assert same > 0.6
    assert different < 0.3


def test_a_query_finds_the_photo_it_describes(minilm, settings):
    post = make_post(caption="")
    boat = described(post, 1, "a red sailing boat at sunset", settings)
    cat = described(post, 2, "a cat sleeping on a sofa", settings)
    photos_index(photo_ids=[boat.pk, cat.pk])
    query = registry.get("text").embed_queries(["boat on the water in the evening"])[0]
    scores = {p.pk: float(np.array(p.text_embedding, dtype=np.float32) @ query) for p in Photo.objects.all()}
    assert max(scores, key=scores.get) == boat.pk
