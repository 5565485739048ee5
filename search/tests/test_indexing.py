import numpy as np
import pytest
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile

from profiles.models import Photo, Tracking
from profiles.tests.factories import make_photo, make_post, make_profile
from search.indexing import photo_text, photos_describe, photos_index, photos_index_searchable
from search.ml import registry
from search.services import photos_search

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


def test_a_photo_is_found_by_search_after_the_first_pass_before_any_description(minilm):
    user = get_user_model().objects.create_user("ana")
    sailor = make_profile("sailor")
    Tracking.objects.create(user=user, profile=sailor)
    (boat,) = photos(1, profile=sailor, shortcode="Boat", caption="A red sailing boat on the sea at sunset")
    (dog,) = photos(1, profile=sailor, shortcode="Dog", caption="Our dog running on the beach")
    photos_index_searchable(photo_ids=[boat.pk, dog.pk])

    result = photos_search(user=user, query="boat sailing in the evening")
    assert [hit.post.shortcode for hit in result.hits][:1] == ["Boat"]
    assert "text" in result.hits[0].signals  # its text vector, of its caption
    found = Photo.objects.get(pk=boat.pk)
    assert found.image_embedding is not None and found.description_model == ""  # not described yet


def test_the_first_pass_runs_no_describer_and_no_reader(settings, monkeypatch):
    settings.OCR_ENGINE = "rapidocr"
    loads = []
    load = registry._load
    monkeypatch.setattr(registry, "_load", lambda role, name, **kw: loads.append(role) or load(role, name, **kw))
    registry.forget()
    photos_index_searchable(photo_ids=[p.pk for p in photos(2)])
    assert sorted(loads) == ["image_text", "text"]
    photo = Photo.objects.first()
    assert (photo.description, photo.description_model, photo.ocr_model) == ("", "", "")
    assert photo.image_embedding_model and photo.text_embedding_model and photo.indexed_at


def test_the_second_pass_adds_the_description_and_embeds_the_text_again(settings):
    (photo,) = photos(1, caption="Golden hour")
    photos_index_searchable(photo_ids=[photo.pk])
    searchable = Photo.objects.get(pk=photo.pk)
    result = photos_describe(photo_ids=[photo.pk])
    described = Photo.objects.get(pk=photo.pk)
    assert result.indexed == [photo.pk] and described.description
    assert (described.description_model, described.text_embedding_model) == (
        settings.DESCRIPTION_MODEL,
        settings.TEXT_MODEL,
    )
    assert not np.allclose(np.array(described.text_embedding), np.array(searchable.text_embedding))
    assert (described.image_embedding, described.indexed_at) == (searchable.image_embedding, searchable.indexed_at)
    assert {"description", "text_embedding"} <= set(result.stages) and "image_embedding" not in result.stages


def test_running_either_pass_twice_does_the_work_once():
    batch = [p.pk for p in photos(2)]
    assert len(photos_index_searchable(photo_ids=batch).indexed) == 2
    assert photos_index_searchable(photo_ids=batch).skipped == batch
    assert len(photos_describe(photo_ids=batch).indexed) == 2
    again = photos_describe(photo_ids=batch)
    assert (again.indexed, sorted(again.skipped)) == ([], batch)


def test_a_description_that_leaves_the_text_unchanged_is_not_embedded_again(settings):
    batch = [p.pk for p in photos(2)]
    photos_index(photo_ids=batch)
    Photo.objects.update(description_model="")  # the same describer again: the same sentences
    result = photos_describe(photo_ids=batch)
    assert len(result.indexed) == 2 and "description" in result.stages
    assert "text_embedding" not in result.stages


def test_a_description_written_while_the_first_pass_ran_keeps_its_own_text_vector(settings, monkeypatch):
    (photo,) = photos(1)
    theirs = np.full(settings.TEXT_DIMENSIONS, settings.TEXT_DIMENSIONS**-0.5)
    text_embedder = registry.get("text")
    embed = text_embedder.embed_passages

    def second_pass_finishing_meanwhile(texts):
        # On another worker, the second pass writes its description and text vector while this pass embeds.
        Photo.objects.filter(pk=photo.pk).update(
            description="a red boat", description_model=settings.DESCRIPTION_MODEL, text_embedding=theirs,
            text_embedding_model=settings.TEXT_MODEL,
        )  # fmt: skip
        return embed(texts)

    monkeypatch.setattr(text_embedder, "embed_passages", second_pass_finishing_meanwhile)
    photos_index_searchable(photo_ids=[photo.pk])
    saved = Photo.objects.get(pk=photo.pk)
    assert saved.description == "a red boat" and saved.image_embedding_model == settings.IMAGE_TEXT_MODEL
    assert np.allclose(np.array(saved.text_embedding, dtype=np.float32), theirs, atol=1e-3)


def test_with_the_describer_and_the_reader_off_a_searchable_photo_has_no_second_pass(settings):
    settings.DESCRIPTION_MODEL = settings.OCR_ENGINE = ""
    batch = [p.pk for p in photos(2)]
    photos_index_searchable(photo_ids=batch)
    assert sorted(photos_describe(photo_ids=batch).skipped) == batch


def test_the_text_of_a_photo_reads_its_tags_as_words():
    post = make_post(caption="Golden hour #RedBoat #sunset_lover", hashtags=["RedBoat", "sunset_lover", "sailing"])
    photo = make_photo(post=post, alt_text="May be an image of a boat", description="a red boat on the sea")
    post.location_name = "Saint-Malo"
    assert photo_text(photo) == (
        "a red boat on the sea. May be an image of a boat. Golden hour Red Boat sunset lover. sailing. Saint-Malo"
    )
