from django.conf import settings
from django.db import models
from django.db.models import Q

from core.outbox import PENDING, OutboxRow


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"


class Notification(models.Model):
    """One message to one user: an entry of their in-app inbox, sent on each of their channels by
    its deliveries. Written in the transaction of the change that causes it."""

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
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="notification_inbox"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.recipient}: {self.subject}"


class Channel(models.TextChoices):
    EMAIL = "email", "E-mail"
    SLACK = "slack", "Slack"


class Delivery(OutboxRow):
    """One notification sent on one channel: the outbox row a worker sends (core.outbox). The
    inbox shows the notification once, whatever the number of its channels."""

    # No index of its own: one_delivery_per_channel's (notification, channel) serves lookups by
    # notification, and every delivery written or recorded updated one index less.
    notification = models.ForeignKey(
        Notification, on_delete=models.CASCADE, related_name="deliveries", db_index=False
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=PENDING)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["notification", "channel"], name="one_delivery_per_channel"
            )
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"], condition=Q(status=PENDING), name="notification_due"
            )
        ]

    def __str__(self) -> str:
        return f"{self.channel}: {self.notification_id} ({self.status})"


class ChannelOptOut(models.Model):
    """A channel a person turned off for themselves (Slack, on the member site's "Me"). E-mail
    cannot be turned off: it is where a sign-in link or a decision always reaches them."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="channel_opt_outs"
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "channel"], name="one_opt_out_per_channel")
        ]

    def __str__(self) -> str:
        return f"{self.user} turned {self.channel} off"


class SweeperRun(models.Model):
    """When the sweeper last ran: one row, rewritten by every run. Beat schedules the sweeper and
    a worker runs it, so an old time means one of them has stopped (/readyz says `beat: stale`)."""

    ONLY = 1

    ran_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"sweeper ran at {self.ran_at:%Y-%m-%d %H:%M:%S}"
