from django.apps import AppConfig


class PhotosearchConfig(AppConfig):
    """The project itself, as an app: its management commands (embedded, healthcheck)."""

    name = "photosearch"
