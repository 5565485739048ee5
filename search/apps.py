from django.apps import AppConfig
from django.db.models.signals import post_delete

from jobs.indexer import Indexer, indexer_register
from profiles.signals import photos_stored


class SearchConfig(AppConfig):
    name = "search"

    def ready(self):
        # Search sits above profiles and jobs: they tell it what happened and call it through the indexer's
        # plug, never by importing it.
        from search.indexing import index_job_resend, photos_stored_queue, profile_reindex
        from search.thumbnails import thumbnail_delete

        photos_stored.connect(photos_stored_queue, dispatch_uid="search.photos_stored_queue")
        indexer_register(Indexer(reindex=profile_reindex, resend=index_job_resend))
        # A photo's thumbnail goes with it (its file goes by profiles' own receiver).
        post_delete.connect(thumbnail_delete, sender="profiles.Photo", dispatch_uid="search.thumbnail_delete")
