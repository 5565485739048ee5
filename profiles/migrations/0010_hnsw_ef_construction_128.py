"""The HNSW indexes are rebuilt with ef_construction 128 (profiles.models.HNSW_EF_CONSTRUCTION says why).

Each new graph is built beside the old one, CONCURRENTLY, before the old one goes: searches keep an
index all along and photos keep coming in (the image vectors' graph of a million photos takes about
7 minutes here). A build that was cut short leaves an invalid index behind: it is dropped first, so
the migration can run again. The build gets 1 GB of maintenance memory, for this session only: with
PostgreSQL's default 64 MB, a graph of 100,000 photos no longer fits in memory, and pgvector's
build slows down a great deal once it spills.
"""

import pgvector.django.indexes
from django.contrib.postgres.operations import AddIndexConcurrently, RemoveIndexConcurrently
from django.db import migrations


def rebuilt(field: str) -> list:
    name = f"photo_{field}_hnsw"
    return [
        migrations.RunSQL(f"DROP INDEX CONCURRENTLY IF EXISTS {name}_new", reverse_sql=migrations.RunSQL.noop),
        AddIndexConcurrently(
            model_name="photo",
            index=pgvector.django.indexes.HnswIndex(
                ef_construction=128, fields=[field], m=16, name=f"{name}_new", opclasses=["halfvec_cosine_ops"]
            ),
        ),
        RemoveIndexConcurrently(model_name="photo", name=name),
        migrations.RenameIndex(model_name="photo", new_name=name, old_name=f"{name}_new"),
    ]


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [
        ("profiles", "0009_photo_describe_queued_at"),
    ]

    operations = [
        migrations.RunSQL("SET maintenance_work_mem = '1GB'", reverse_sql="RESET maintenance_work_mem"),
        *rebuilt("image_embedding"),
        *rebuilt("text_embedding"),
        migrations.RunSQL("RESET maintenance_work_mem", reverse_sql="SET maintenance_work_mem = '1GB'"),
    ]
