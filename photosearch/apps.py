from django.apps import AppConfig


class PhotosearchConfig(AppConfig):
    """The project itself, as an app: its management commands (embedded, healthcheck) and system checks."""

    name = "photosearch"

    def ready(self):
        from photosearch import checks  # noqa: F401  (registers them)
