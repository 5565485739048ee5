"""Job and JobPhoto belong to the jobs app now (jobs.0001 took them over, rows and tables): profiles lets go
of them in its state only; nothing is written to the database."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('profiles', '0010_hnsw_ef_construction_128'),
        ('jobs', '0001_jobs_from_profiles'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name='jobphoto',
                    name='job',
                ),
                migrations.RemoveField(
                    model_name='jobphoto',
                    name='photo',
                ),
                migrations.DeleteModel(
                    name='Job',
                ),
                migrations.DeleteModel(
                    name='JobPhoto',
                ),
            ],
            database_operations=[],
        ),
    ]
