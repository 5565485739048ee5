"""The vectors' sign bits by profile (search.models.VectorBits), kept by triggers on profiles_photo, filled for
the photos already stored (one INSERT ... SELECT: the photos table and its HNSW indexes are not touched)."""

from django.conf import settings
from django.db import migrations, models
import django.db.models.deletion
import pgvector.django

# One statement per INSERT (COPY included), reading its new rows at once; one row per UPDATE of a vector.
SYNC = """
CREATE FUNCTION search_vector_bits_row(photo profiles_photo) RETURNS void LANGUAGE sql AS $$
    INSERT INTO search_vectorbits (photo_id, profile_id, image_model, image_bits, text_model, text_bits)
    SELECT photo.id, post.profile_id,
           hashtext(photo.image_embedding_model), binary_quantize(photo.image_embedding),
           hashtext(photo.text_embedding_model), binary_quantize(photo.text_embedding)
    FROM profiles_post post WHERE post.id = photo.post_id
    ON CONFLICT (photo_id) DO UPDATE SET
        profile_id = excluded.profile_id,
        image_model = excluded.image_model, image_bits = excluded.image_bits,
        text_model = excluded.text_model, text_bits = excluded.text_bits
$$;

-- The columns are compared here, not in the trigger's definition: one naming them would stop
-- search.schema from remaking a vector column at a new model's size.
CREATE FUNCTION search_vector_bits_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (OLD.image_embedding, OLD.image_embedding_model, OLD.text_embedding, OLD.text_embedding_model, OLD.post_id)
       IS DISTINCT FROM
       (NEW.image_embedding, NEW.image_embedding_model, NEW.text_embedding, NEW.text_embedding_model, NEW.post_id)
    THEN
        PERFORM search_vector_bits_row(NEW);
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION search_vector_bits_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO search_vectorbits (photo_id, profile_id, image_model, image_bits, text_model, text_bits)
    SELECT photo.id, post.profile_id,
           hashtext(photo.image_embedding_model), binary_quantize(photo.image_embedding),
           hashtext(photo.text_embedding_model), binary_quantize(photo.text_embedding)
    FROM inserted photo JOIN profiles_post post ON post.id = photo.post_id;
    RETURN NULL;
END $$;

CREATE TRIGGER search_vector_bits_inserted AFTER INSERT ON profiles_photo
    REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION search_vector_bits_inserted();
CREATE TRIGGER search_vector_bits_updated AFTER UPDATE ON profiles_photo
    FOR EACH ROW EXECUTE FUNCTION search_vector_bits_updated();

INSERT INTO search_vectorbits (photo_id, profile_id, image_model, image_bits, text_model, text_bits)
SELECT photo.id, post.profile_id,
       hashtext(photo.image_embedding_model), binary_quantize(photo.image_embedding),
       hashtext(photo.text_embedding_model), binary_quantize(photo.text_embedding)
FROM profiles_photo photo JOIN profiles_post post ON post.id = photo.post_id;
"""

UNSYNC = """
DROP TRIGGER search_vector_bits_inserted ON profiles_photo;
DROP TRIGGER search_vector_bits_updated ON profiles_photo;
DROP FUNCTION search_vector_bits_inserted();
DROP FUNCTION search_vector_bits_updated();
DROP FUNCTION search_vector_bits_row(profiles_photo);
"""


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("profiles", "0011_jobs_moved_to_their_app"),
    ]

    operations = [
        migrations.CreateModel(
            name="VectorBits",
            fields=[
                (
                    "photo",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="profiles.photo",
                    ),
                ),
                ("profile_id", models.BigIntegerField()),
                ("image_model", models.IntegerField(null=True)),
                ("image_bits", pgvector.django.BitField(length=settings.IMAGE_TEXT_DIMENSIONS, null=True)),
                ("text_model", models.IntegerField(null=True)),
                ("text_bits", pgvector.django.BitField(length=settings.TEXT_DIMENSIONS, null=True)),
            ],
            options={
                "indexes": [
                    models.Index(
                        fields=["profile_id"],
                        include=("photo", "image_model", "image_bits", "text_model", "text_bits"),
                        name="vector_bits_by_profile",
                    )
                ],
            },
        ),
        migrations.RunSQL(SYNC, UNSYNC),
    ]
