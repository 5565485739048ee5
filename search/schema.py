"""Keep the vector columns the size of the configured models' vectors.

Migrations create the columns with IMAGE_TEXT_DIMENSIONS and TEXT_DIMENSIONS. When a new model
has vectors of another size, the column (its HNSW index, its bits) is remade at the new size: the old
vectors could never be compared with the new ones anyway, so they are dropped, never mixed.
"""

from django.conf import settings
from django.db import connection, transaction
from pgvector.django import HnswIndex

from profiles.models import Photo

COLUMNS = {
    # column: (its model-name column, its HNSW index, the setting holding its size, its bits' column)
    "image_embedding": ("image_embedding_model", "photo_image_embedding_hnsw", "IMAGE_TEXT_DIMENSIONS", "image_bits"),
    "text_embedding": ("text_embedding_model", "photo_text_embedding_hnsw", "TEXT_DIMENSIONS", "text_bits"),
}


def column_dimensions() -> dict[str, int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attname, atttypmod FROM pg_attribute WHERE attrelid = 'profiles_photo'::regclass "
            "AND attname = ANY(%s)",
            [list(COLUMNS)],
        )
        return dict(cursor.fetchall())


def columns_to_resize() -> dict[str, tuple[int, int]]:
    """{column: (size in the database, configured size)} for each column that differs."""
    stored = column_dimensions()
    wanted = {column: getattr(settings, setting) for column, (_, _, setting, _) in COLUMNS.items()}
    return {column: (stored[column], wanted[column]) for column in COLUMNS if stored[column] != wanted[column]}


def resize_columns() -> dict[str, tuple[int, int]]:
    """Remake each vector column whose size differs from its setting; returns what it changed."""
    changes = columns_to_resize()
    with transaction.atomic(), connection.cursor() as cursor:
        for column, (_, size) in changes.items():
            model_column, index, _, bits = COLUMNS[column]
            cursor.execute(f"DROP INDEX IF EXISTS {index}")
            cursor.execute(f"UPDATE profiles_photo SET {model_column} = ''")
            # The UPDATE queues deferred foreign-key checks, and ALTER TABLE refuses to run while any wait.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"ALTER TABLE profiles_photo ALTER COLUMN {column} TYPE halfvec({int(size)}) USING NULL")
            # Their sign bits (search.models.VectorBits) go with them; the covering index is remade with the column.
            cursor.execute(f"ALTER TABLE search_vectorbits ALTER COLUMN {bits} TYPE bit({int(size)}) USING NULL")
            with connection.schema_editor() as editor:
                editor.add_index(Photo, hnsw_index(column))
    return changes


def hnsw_index(column: str) -> HnswIndex:
    """The HNSW index of a vector column, as the model declares it (its build settings with it)."""
    name = COLUMNS[column][1]
    return next(index for index in Photo._meta.indexes if index.name == name)
