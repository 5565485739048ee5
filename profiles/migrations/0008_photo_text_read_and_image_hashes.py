"""The words read in a photo (OCR) go into its full text, beside its description; and perceptual hashes.

photosearch_document gains an ocr_text argument (a new function beside the old one, which the
trigger no longer calls), and the photo trigger also fires when ocr_text changes.
"""


import django.contrib.postgres.fields
import django.contrib.postgres.indexes
from django.db import migrations, models



FORWARD = r"""
CREATE FUNCTION photosearch_document(
  description text, alt_text text, ocr_text text, caption text, location_name text, hashtags text[], mentions text[]
) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT
    setweight(to_tsvector('english', photosearch_fold(concat_ws(' ', description, alt_text, ocr_text))), 'A') ||
    setweight(to_tsvector('french', photosearch_fold(concat_ws(' ', description, alt_text, ocr_text))), 'A') ||
    setweight(to_tsvector('simple', photosearch_fold(concat_ws(' ', array_to_string(hashtags, ' '),
                                                               array_to_string(mentions, ' '), location_name))), 'A') ||
    setweight(to_tsvector('english', photosearch_fold(concat_ws(' ', caption, location_name))), 'B') ||
    setweight(to_tsvector('french', photosearch_fold(concat_ws(' ', caption, location_name))), 'B')
$$;

CREATE OR REPLACE FUNCTION profiles_photo_search_vector_trigger() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  SELECT photosearch_document(NEW.description, NEW.alt_text, NEW.ocr_text, p.caption, p.location_name,
                              p.hashtags, p.mentions)
    INTO NEW.search_vector
    FROM profiles_post p WHERE p.id = NEW.post_id;
  RETURN NEW;
END
$$;

DROP TRIGGER profiles_photo_search_vector ON profiles_photo;
CREATE TRIGGER profiles_photo_search_vector
  BEFORE INSERT OR UPDATE OF description, alt_text, ocr_text, post_id, search_vector ON profiles_photo
  FOR EACH ROW EXECUTE FUNCTION profiles_photo_search_vector_trigger();
"""

BACKWARD = r"""
CREATE OR REPLACE FUNCTION profiles_photo_search_vector_trigger() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  SELECT photosearch_document(NEW.description, NEW.alt_text, p.caption, p.location_name, p.hashtags, p.mentions)
    INTO NEW.search_vector
    FROM profiles_post p WHERE p.id = NEW.post_id;
  RETURN NEW;
END
$$;

DROP TRIGGER profiles_photo_search_vector ON profiles_photo;
CREATE TRIGGER profiles_photo_search_vector
  BEFORE INSERT OR UPDATE OF description, alt_text, post_id, search_vector ON profiles_photo
  FOR EACH ROW EXECUTE FUNCTION profiles_photo_search_vector_trigger();

DROP FUNCTION photosearch_document(text, text, text, text, text, text[], text[]);
"""


class Migration(migrations.Migration):

    dependencies = [
        ('profiles', '0007_private_profile_access'),
    ]

    operations = [
        migrations.AddField(
            model_name='photo',
            name='image_hash_bands',
            field=django.contrib.postgres.fields.ArrayField(base_field=models.IntegerField(), blank=True, default=list, size=None),
        ),
        migrations.AddField(
            model_name='photo',
            name='image_hashes',
            field=django.contrib.postgres.fields.ArrayField(base_field=models.BigIntegerField(), blank=True, default=list, size=None),
        ),
        migrations.AddField(
            model_name='photo',
            name='ocr_model',
            field=models.CharField(blank=True, max_length=200),
        ),
        migrations.AddField(
            model_name='photo',
            name='ocr_text',
            field=models.TextField(blank=True, help_text='The words written in the photo, read by the reader (OCR).'),
        ),
        migrations.AddIndex(
            model_name='photo',
            index=django.contrib.postgres.indexes.GinIndex(fields=['image_hash_bands'], name='photo_image_hash_bands_gin'),
        ),
        migrations.RunSQL(FORWARD, BACKWARD),
    ]
