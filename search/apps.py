from django.apps import AppConfig

from jobs.indexer import Indexer, indexer_register
from profiles.signals import photos_stored


class SearchConfig(AppConfig):
    name = "search"

    def ready(self):
        # Search sits above profiles and jobs: they tell it what happened and call it through the indexer's
        # plug, never by importing it.
        from search.indexing import index_job_resend, photos_stored_queue, profile_reindex

        photos_stored.connect(photos_stored_queue, dispatch_uid="search.photos_stored_queue")
        indexer_register(Indexer(reindex=profile_reindex, resend=index_job_resend))
