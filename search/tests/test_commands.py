import numpy as np
import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from jobs.models import Job
from profiles.models import HNSW_EF_CONSTRUCTION, HNSW_M, Photo
from profiles.tests.factories import described, make_photo, make_post, settled
from search import schema
from search.indexing import photos_index


@pytest.fixture
def indexed(transactional_db):
    post = make_post()
    photos = [make_photo(post=post, position=position) for position in (1, 2)]
    photos_index(photo_ids=[p.pk for p in photos])
    return photos


def test_reindex_after_a_model_change_indexes_every_photo_with_the_new_model(
    indexed, settings, tiny_models, celery_worker, capsys
):
    settings.IMAGE_TEXT_MODEL = str(tiny_models / "clip-other")
    call_command("reindex")
    assert "Queued 2 photos" in capsys.readouterr().out
    job = settled(Job.objects.get(kind=Job.Kind.INDEX))
    assert (job.status, job.progress_done, job.progress_total) == (Job.Status.DONE, 2, 2)
    assert set(Photo.objects.values_list("image_embedding_model", flat=True)) == {settings.IMAGE_TEXT_MODEL}


def test_reindex_with_nothing_stale_does_nothing(indexed, capsys):
    call_command("reindex")
    assert "nothing to do" in capsys.readouterr().out
    assert not Job.objects.exists()


def test_forced_reindex_of_the_describer_redoes_descriptions_on_the_describe_queue(indexed, celery_worker, capsys):
    before = {p.pk: np.array(p.text_embedding) for p in Photo.objects.all()}
    call_command("reindex", "--role", "describer", "--force")
    assert "Queued 2 searchable photos for their description and reading." in capsys.readouterr().out
    described()
    assert not Job.objects.exists()  # searchable all along: no first pass to do
    for photo in Photo.objects.all():
        assert photo.description_model and photo.text_embedding_model
        assert np.allclose(np.array(photo.text_embedding), before[photo.pk], atol=1e-2)  # same model, same text


def test_a_new_vector_size_remakes_the_column_and_its_index(indexed, settings, capsys):
    settings.TEXT_DIMENSIONS = 32
    try:
        call_command("reindex", "--role", "text")
        assert "vectors of 384 dimensions are dropped" in capsys.readouterr().out
        assert schema.column_dimensions()["text_embedding"] == 32
        assert set(Photo.objects.values_list("text_embedding_model", flat=True)) == {""}
        with connection.cursor() as cursor:
            cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'photo_text_embedding_hnsw'")
            definition = cursor.fetchone()[0]
            # The vectors' sign bits (search.models.VectorBits) take the new size with them.
            cursor.execute("SELECT atttypmod FROM pg_attribute WHERE attrelid = 'search_vectorbits'::regclass"
                           " AND attname = 'text_bits'")  # fmt: skip
            assert cursor.fetchone()[0] == 32
        assert (
            f"hnsw (text_embedding halfvec_cosine_ops) WITH (m='{HNSW_M}', ef_construction='{HNSW_EF_CONSTRUCTION}')"
            in definition
        )
    finally:
        settings.TEXT_DIMENSIONS = 384
        schema.resize_columns()


def test_download_models_says_which_model_it_could_not_fetch_offline(db, settings, capsys):
    settings.DESCRIPTION_MODEL = "Salesforce/blip-image-captioning-base"
    with pytest.raises(CommandError, match="1 model"):
        call_command("download_models")
    err = capsys.readouterr().err
    assert "Salesforce/blip-image-captioning-base: cannot reach the Hugging Face hub" in err
