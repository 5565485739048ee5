from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"

    def ready(self):
        # Connects their receivers: the language chosen, kept at log-in; the revocation of tokens on a new password.
        from accounts import language, receivers  # noqa: F401
