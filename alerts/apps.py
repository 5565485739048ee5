from django.apps import AppConfig

from search.signals import photos_indexed


class AlertsConfig(AppConfig):
    name = "alerts"
    verbose_name = "Saved searches and alerts"

    def ready(self):
        # Saved searches hear of each indexed batch from search, which never imports alerts.
        from alerts.receivers import saved_searches_match

        photos_indexed.connect(saved_searches_match, dispatch_uid="alerts.saved_searches_match")
