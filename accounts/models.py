from django.conf import settings
from django.db import models
from django.utils import timezone


class ApiToken(models.Model):
    """A key for `Authorization: Token <key>`. Only its SHA-256 digest is stored: the key is shown
    once, when it is issued, and a copy of the database lets nobody in."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    digest = models.CharField(max_length=64, unique=True)
    # The user's session auth hash (a keyed hash of their password hash) when the token was issued:
    # a password change or reset, by any route, makes every older token stop working.
    credentials = models.CharField(max_length=128)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"API token of {self.user} (last used {self.last_used_at:%Y-%m-%d %H:%M})"
