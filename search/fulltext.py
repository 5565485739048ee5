"""PostgreSQL full text as search reads it: the query's lexemes, a tsquery of them, how much each says.

The index side (each photo's tsvector, English and French stems, accents folded) is written by
database triggers (profiles migration 0002); this module reads it the same way.
"""

import hashlib
import math

from django.contrib.postgres.search import SearchQuery
from django.core.cache import cache
from django.db import connection


def fulltext_lexemes(query: str) -> list[str]:
    """The query's words as the index holds them: English and French stems, and the words as written.

    A stop word of either language is left out in both: the French stemmer keeps "a" and "and",
    the English one "la" and "sur", and each would match most photos while saying nothing.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH words AS (
              SELECT word FROM unnest(tsvector_to_array(to_tsvector('simple', photosearch_fold(%s)))) AS word
               WHERE to_tsvector('english', word) <> ''::tsvector AND to_tsvector('french', word) <> ''::tsvector
            )
            SELECT DISTINCT lexeme FROM (
              SELECT unnest(tsvector_to_array(to_tsvector('english', word))) AS lexeme FROM words
              UNION ALL SELECT unnest(tsvector_to_array(to_tsvector('french', word))) FROM words
              UNION ALL SELECT word FROM words  -- as written too: hashtags, names
            ) AS lexemes ORDER BY lexeme
            """,
            [query],
        )
        return [lexeme for (lexeme,) in cursor.fetchall()]


def fulltext_query(lexemes: list[str]) -> SearchQuery | None:
    """A tsquery matching any of the query's lexemes (None when it has none: only stop words).

    Built from lexemes, each quoted, so that no character typed (' & | ! :* \\) is ever read as
    tsquery syntax.
    """
    if not lexemes:
        return None
    quoted = " | ".join("'" + lexeme.replace("\\", "").replace("'", "''") + "'" for lexeme in lexemes)
    return SearchQuery(quoted, search_type="raw", config="simple")


def lexeme_counts(lexemes: list[str]) -> tuple[dict[str, int], int]:
    """About how many photos hold each lexeme, and how many photos there are.

    A common word's count comes from PostgreSQL's own statistics of the column (ANALYZE keeps the
    frequencies of its most common lexemes): counting it exactly would read a good share of the
    table. A rarer word is counted through the GIN index, cheaply since it is rare. Both are kept
    an hour in the cache: they move slowly.
    """
    keys = {lexeme: "lexeme-count:" + hashlib.sha256(lexeme.encode()).hexdigest() for lexeme in lexemes}
    known = cache.get_many([*keys.values(), "photo-count"])
    missing = [lexeme for lexeme, key in keys.items() if key not in known]
    if missing or "photo-count" not in known:
        total = known.get("photo-count")
        fresh = {}
        with connection.cursor() as cursor:
            if total is None:
                cursor.execute("SELECT count(*) FROM profiles_photo")
                total = fresh["photo-count"] = cursor.fetchone()[0]
            common = _common_lexeme_shares()
            estimated = [lexeme for lexeme in missing if lexeme in common]
            fresh |= {keys[lexeme]: round(common[lexeme] * total) for lexeme in estimated}
            cursor.execute(
                "SELECT lexeme, (SELECT count(*) FROM profiles_photo WHERE search_vector @@ "
                "quote_literal(lexeme)::tsquery) FROM unnest(%s::text[]) AS lexeme",
                [[lexeme for lexeme in missing if lexeme not in common]],
            )
            fresh |= {keys[lexeme]: count for lexeme, count in cursor.fetchall()}
        cache.set_many(fresh, 3600)
        known |= fresh
    return {lexeme: known[key] for lexeme, key in keys.items()}, known["photo-count"]


def _common_lexeme_shares() -> dict[str, float]:
    """The share of photos holding each of the column's most common lexemes, from ANALYZE's statistics."""
    if (shares := cache.get("common-lexemes")) is not None:
        return shares
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT most_common_elems::text::text[], most_common_elem_freqs FROM pg_stats "
            "WHERE tablename = 'profiles_photo' AND attname = 'search_vector'"
        )
        row = cursor.fetchone()
    # The frequencies list ends with three summary numbers (minimum, maximum, nulls), hence zip's strict=False.
    shares = dict(zip(row[0], row[1], strict=False)) if row and row[0] else {}
    cache.set("common-lexemes", shares, 3600)
    return shares


def inverse_document_frequency(count: int, total: int) -> float:
    """How much a word says (BM25's idf): a word in few photos says much, one in all says nothing."""
    return math.log(1 + (total - count + 0.5) / (count + 0.5))


def matched_share(matched: list[str], weight_of: dict[str, float]) -> float:
    """The share of the query's information that a photo's text holds (0: no word, 1: every word)."""
    if not matched or not weight_of:
        return 0.0
    return sum(weight_of[lexeme] for lexeme in set(matched) if lexeme in weight_of) / sum(weight_of.values())
