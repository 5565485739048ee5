"""Keep Photo.search_vector current in the database, from the photo's own text and its post's.

A generated column cannot read another table, so triggers do it: one on the photo (its own text
changed, or it was inserted), one on the post (caption, hashtags, mentions or place changed).

Accents are folded by photosearch_fold(), an IMMUTABLE translate(): PostgreSQL's unaccent is a
contrib extension that the embedded server does not ship, and an index needs IMMUTABLE anyway.
Text is indexed under both English and French stemming; hashtags, mentions and the place also
as written ('simple'), so that an exact tag or name is found whatever the language.
"""

from django.db import migrations

FORWARD = r"""
CREATE FUNCTION photosearch_fold(text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$
  SELECT replace(replace(replace(replace(lower(translate($1,
    'ÀÁÂÃÄÅĀĂĄàáâãäåāăąÇĆĈĊČçćĉċčĎĐďđÈÉÊËĒĔĖĘĚèéêëēĕėęěĜĞĠĢĝğġģĤĦĥħÌÍÎÏĨĪĬĮİìíîïĩīĭįıĴĵĶķĹĻĽĿŁĺļľŀłÑŃŅŇñńņňÒÓÔÕÖØŌŎŐòóôõöøōŏőŔŖŘŕŗřŚŜŞŠśŝşšŢŤŦţťŧÙÚÛÜŨŪŬŮŰŲùúûüũūŭůűųŴŵÝŸŶýÿŷŹŻŽźżž',
    'AAAAAAAAAaaaaaaaaaCCCCCcccccDDddEEEEEEEEEeeeeeeeeeGGGGggggHHhhIIIIIIIIIiiiiiiiiiJjKkLLLLLlllllNNNNnnnnOOOOOOOOOoooooooooRRRrrrSSSSssssTTTtttUUUUUUUUUUuuuuuuuuuuWwYYYyyyZZZzzz')),
    'œ', 'oe'), 'æ', 'ae'), 'ß', 'ss'), 'ﬁ', 'fi')
$$;

CREATE FUNCTION photosearch_document(
  description text, alt_text text, caption text, location_name text, hashtags text[], mentions text[]
) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT
    setweight(to_tsvector('english', photosearch_fold(concat_ws(' ', description, alt_text))), 'A') ||
    setweight(to_tsvector('french', photosearch_fold(concat_ws(' ', description, alt_text))), 'A') ||
    setweight(to_tsvector('simple', photosearch_fold(concat_ws(' ', array_to_string(hashtags, ' '),
                                                               array_to_string(mentions, ' '), location_name))), 'A') ||
    setweight(to_tsvector('english', photosearch_fold(concat_ws(' ', caption, location_name))), 'B') ||
    setweight(to_tsvector('french', photosearch_fold(concat_ws(' ', caption, location_name))), 'B')
$$;

CREATE FUNCTION profiles_photo_search_vector_trigger() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  SELECT photosearch_document(NEW.description, NEW.alt_text, p.caption, p.location_name, p.hashtags, p.mentions)
    INTO NEW.search_vector
    FROM profiles_post p WHERE p.id = NEW.post_id;
  RETURN NEW;
END
$$;

CREATE TRIGGER profiles_photo_search_vector
  BEFORE INSERT OR UPDATE OF description, alt_text, post_id, search_vector ON profiles_photo
  FOR EACH ROW EXECUTE FUNCTION profiles_photo_search_vector_trigger();

CREATE FUNCTION profiles_post_search_vector_trigger() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  -- Touching post_id fires the photo trigger above, which reads the post's new text.
  UPDATE profiles_photo SET post_id = post_id WHERE post_id = NEW.id;
  RETURN NULL;
END
$$;

CREATE TRIGGER profiles_post_search_vector
  AFTER UPDATE OF caption, location_name, hashtags, mentions ON profiles_post
  FOR EACH ROW
  WHEN (ROW(OLD.caption, OLD.location_name, OLD.hashtags, OLD.mentions)
       IS DISTINCT FROM ROW(NEW.caption, NEW.location_name, NEW.hashtags, NEW.mentions))
  EXECUTE FUNCTION profiles_post_search_vector_trigger();
"""

BACKWARD = r"""
DROP TRIGGER IF EXISTS profiles_post_search_vector ON profiles_post;
DROP FUNCTION IF EXISTS profiles_post_search_vector_trigger();
DROP TRIGGER IF EXISTS profiles_photo_search_vector ON profiles_photo;
DROP FUNCTION IF EXISTS profiles_photo_search_vector_trigger();
DROP FUNCTION IF EXISTS photosearch_document(text, text, text, text, text[], text[]);
DROP FUNCTION IF EXISTS photosearch_fold(text);
"""


class Migration(migrations.Migration):
    dependencies = [("profiles", "0001_initial")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
