from django.conf import settings
from django.db import models
from django.db.models import Q


class Notification(models.Model):
    """One message to one user: the outbox row that a worker delivers by e-mail, and an entry of
    the user's in-app inbox. Written in the transaction of the change that causes it."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="notifications"
    )
    kind = models.CharField(max_length=40)
    # Whom the writing app meant it for, in its own words (promotions: "committee", "involved"):
    # its rule is asked again when the message is sent (services.register_readership_check).
    audience = models.CharField(max_length=20, blank=True)
    # Named by string: this app does not import the promotions app.
    promotion = models.ForeignKey(
        "promotions.Promotion",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="notifications",
    )
    subject = models.CharField(max_length=200)
    body = models.TextField()
    html_body = models.TextField(blank=True)
    # The page of this site the message is about, for its recipient: a path (`/me/promotions/5/`),
    # so the inbox opens it on whatever address the site is browsed at. The bodies carry it whole.
    link = models.CharField(
        max_length=200,
        blank=True,
        help_text="The page this message is about for you, as a path on this site "
        "(`/me/promotions/5/`); empty when there is none.",
    )
    # Set for messages that must not repeat (a daily reminder): a second row is refused.
    dedupe_key = models.CharField(max_length=200, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    # Set when the message can never be sent as it is (no address, a header Django refuses):
    # nothing retries it until a person sends it again from the admin.
    failed_at = models.DateTimeField(null=True, blank=True)
    # A worker holds the row while it sends, with no transaction open; a dead worker's hold runs
    # out. Only the holder records the outcome.
    claimed_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="notification_inbox"),
            models.Index(
                fields=["created_at"], condition=Q(sent_at__isnull=True), name="notification_unsent"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.recipient}: {self.subject}"


class SweeperRun(models.Model):
    """When the sweeper last ran: one row, rewritten by every run. Beat schedules the sweeper and
    a worker runs it, so an old time means one of them has stopped (/readyz says `beat: stale`)."""

    ONLY = 1

    ran_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"sweeper ran at {self.ran_at:%Y-%m-%d %H:%M:%S}"
