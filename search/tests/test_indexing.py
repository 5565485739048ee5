import numpy as np
import pytest
from django.core.files.base import ContentFile

from profiles.models import Photo
from profiles.tests.factories import make_photo, make_post
from search.indexing import photo_text, photos_index
from search.ml import registry

pytestmark = pytest.mark.django_db


def photos(count, **post_fields):
    post = make_post(**post_fields)
    return [make_photo(post=post, position=position) for position in range(1, count + 1)]


def corrupt(photo):
    photo.image.save("broken.jpg", ContentFile(b"\xff\xd8\xff\xe0 not really a jpeg", name="broken.jpg"))


def test_it_describes_and_embeds_each_photo_with_the_configured_models(settings):
    batch = photos(3)
    result = photos_index(photo_ids=[p.pk for p in batch])
    assert sorted(result.indexed) == sorted(p.pk for p in batch)
    for photo in Photo.objects.all():
        assert photo.description
        assert (photo.image_embedding_model, photo.description_model, photo.text_embedding_model) == (
            settings.IMAGE_TEXT_MODEL,
            settings.DESCRIPTION_MODEL,
            settings.TEXT_MODEL,
        )
        assert np.linalg.norm(np.array(photo.image_embedding, dtype=np.float32)) == pytest.approx(1, abs=1e-2)
        assert len(photo.text_embedding) == settings.TEXT_DIMENSIONS
        assert photo.indexed_at is not None


def test_one_corrupt_image_fails_that_photo_alone_with_its_reason():
    good, bad, also_good = photos(3)
    corrupt(bad)
    result = photos_index(photo_ids=[good.pk, bad.pk, also_good.pk])
    assert sorted(result.indexed) == sorted([good.pk, also_good.pk])
    bad.refresh_from_db()
    assert "not an image" in bad.index_error or "corrupt" in bad.index_error
    assert bad.image_embedding is None and bad.indexed_at is None
    assert Photo.objects.filter(index_error="", indexed_at__isnull=False).count() == 2


def test_it_skips_photos_already_indexed_by_the_same_models():
    batch = photos(2)
    photos_index(photo_ids=[p.pk for p in batch])
    first = {p.pk: p.indexed_at for p in Photo.objects.all()}
    again = photos_index(photo_ids=[p.pk for p in batch])
    assert sorted(again.skipped) == sorted(first)
    assert again.indexed == []
    assert {p.pk: p.indexed_at for p in Photo.objects.all()} == first


def test_a_new_image_text_model_redoes_the_image_vectors_only(settings, tiny_models):
    (photo,) = photos(1)
    photos_index(photo_ids=[photo.pk])
    before = Photo.objects.get(pk=photo.pk)
    settings.IMAGE_TEXT_MODEL = str(tiny_models / "clip-other")
    photos_index(photo_ids=[photo.pk])
    after = Photo.objects.get(pk=photo.pk)
    assert after.image_embedding_model == settings.IMAGE_TEXT_MODEL
    assert not np.allclose(np.array(after.image_embedding), np.array(before.image_embedding))
    assert (after.description, after.text_embedding_model) == (before.description, before.text_embedding_model)


def test_it_loads_each_model_once_per_process(monkeypatch):
    registry.forget()
    loads = []
    load = registry._load
    monkeypatch.setattr(registry, "_load", lambda role, name, **kw: loads.append(role) or load(role, name, **kw))
    first, second = photos(2)
    photos_index(photo_ids=[first.pk])
    photos_index(photo_ids=[second.pk])
    assert sorted(loads) == ["describer", "image_text", "text"]


def test_the_text_of_a_photo_reads_its_tags_as_words():
    post = make_post(caption="Golden hour #RedBoat #sunset_lover", hashtags=["RedBoat", "sunset_lover", "sailing"])
    photo = make_photo(post=post, alt_text="May be an image of a boat", description="a red boat on the sea")
    post.location_name = "Saint-Malo"
    assert photo_text(photo) == (
        "a red boat on the sea. May be an image of a boat. Golden hour Red Boat sunset lover. sailing. Saint-Malo"
    )
