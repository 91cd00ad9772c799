from django.conf import settings
from django.db import models
from django.db.models import Q
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


class Invitation(models.Model):
    """HR's invitation to choose a password: a link `/invite/<token>/` e-mailed to the person,
    single use, valid until `expires_at`. Only the token's SHA-256 digest is stored, and only
    from the moment its e-mail goes out (the token is made then, accounts.invitations): neither
    this row nor the e-mail's outbox row lets a copy of the database in. A newer invitation voids
    the older ones; an invitation is for the address it was sent to."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="invitations"
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    email = models.EmailField(max_length=254)
    digest = models.CharField(max_length=64, null=True, blank=True, unique=True)
    # The e-mail that carries the link (named by string: notifications imports no app).
    notification = models.OneToOneField(
        "notifications.Notification",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"], name="invitation_user_created")]
        constraints = [
            # "A new invitation voids the older ones", held by the database too.
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(accepted_at__isnull=True, voided_at__isnull=True),
                name="one_open_invitation_per_user",
            )
        ]

    def __str__(self) -> str:
        return f"invitation of {self.user} ({self.created_at:%Y-%m-%d %H:%M})"

    def is_open(self, now=None) -> bool:
        """Neither used nor replaced, and not expired."""
        now = now or timezone.now()
        return self.accepted_at is None and self.voided_at is None and now < self.expires_at


class ScimToken(models.Model):
    """A key for the identity provider's SCIM client (`Authorization: Bearer <token>` at
    `/scim/v2/`), made by HR in the admin or by `manage.py scim_token create NAME`. As with API
    tokens only its SHA-256 digest is stored: the token is shown once. Revoking keeps the row
    (when, by whom) and stops the token at once."""

    name = models.CharField(max_length=100, unique=True)
    digest = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "SCIM token"

    def __str__(self) -> str:
        return self.name


class ScimIdentity(models.Model):
    """What the identity provider says of a person that the ladder does not keep itself: its own
    id for them (`externalId`), the enterprise extension's `employeeNumber` and `department`, and
    whether it deleted them (SCIM DELETE deactivates the member, whose record stays; the
    provider sees the user as gone: 404)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="scim_identity"
    )
    external_id = models.CharField(max_length=255, null=True, blank=True, unique=True)
    employee_number = models.CharField(max_length=255, blank=True)
    department = models.CharField(max_length=255, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "SCIM identity"
        verbose_name_plural = "SCIM identities"

    def __str__(self) -> str:
        return f"SCIM identity of {self.user}"
