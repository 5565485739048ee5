import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone


class ApiToken(models.Model):
    """A secret that lets a script use the JSON API as its user. Only its hash is stored."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, help_text="What it is for, to recognise it later.")
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(max_length=8, editable=False, help_text="The first characters, to tell tokens apart.")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    @classmethod
    def issue(cls, *, user, name: str) -> tuple["ApiToken", str]:
        """A new token and its secret, which is shown once and never stored."""
        key = "ps_" + secrets.token_urlsafe(32)
        token = cls.objects.create(user=user, name=name, key_hash=cls.hash(key), prefix=key[:8])
        return token, key

    @classmethod
    def revoke_all(cls, *, user) -> int:
        """Delete every token of `user` (their password changed); how many there were."""
        deleted, _ = cls.objects.filter(user=user).delete()
        return deleted

    @classmethod
    def user_for(cls, key: str):
        """The active user a secret belongs to, or None; records when the token was used."""
        token = cls.objects.select_related("user").filter(key_hash=cls.hash(key), user__is_active=True).first()
        if token is None:
            return None
        cls.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
        return token.user


class Preferences(models.Model):
    """What a person chose for the whole site, kept on their account so that it follows them everywhere."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="preferences")
    language = models.CharField(max_length=8, choices=settings.LANGUAGES, blank=True)

    def __str__(self):
        return f"{self.user}: {self.language or '-'}"
