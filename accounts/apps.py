from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"

    def ready(self):
        from accounts import language  # noqa: F401  (connects the log-in receiver)
        from accounts import receivers  # noqa: F401  (connects them)
