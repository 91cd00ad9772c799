from django.conf import settings
from django.db import models
from django.db.models import Q

from core.outbox import OutboxRow


class Endpoint(models.Model):
    """A URL that HR registered to hear of events. The secret signs every delivery; it is shown
    once, when the endpoint is created, and never again."""

    url = models.CharField(max_length=2000)
    description = models.CharField(max_length=200, blank=True)
    # Event names (webhooks.events.Event); empty: every event.
    events = models.JSONField(default=list, blank=True)
    is_active = models.BooleanField(default=True)
    secret = models.CharField(max_length=100, editable=False)
    # Failed attempts in a row, across deliveries; a success sets it back to 0.
    consecutive_failures = models.PositiveIntegerField(default=0)
    # The first of those failures: every attempt since has failed. Time, not a count, disables an
    # endpoint (WEBHOOKS_DISABLE_AFTER_HOURS): a burst of failures under load never does.
    failing_since = models.DateTimeField(null=True, blank=True)
    # Set when the service disabled it after failing for WEBHOOKS_DISABLE_AFTER_HOURS.
    disabled_at = models.DateTimeField(null=True, blank=True)
    # A worker sending its held deliveries (after it was enabled again) holds the endpoint until
    # then: one release at a time, so they go out in order; a dead worker's hold runs out.
    releasing_until = models.DateTimeField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        verbose_name = "webhook"

    def __str__(self) -> str:
        return self.description or self.url

    def wants(self, event: str) -> bool:
        return not self.events or event in self.events


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"
    # Written while the endpoint is disabled; sent, oldest first, when it is enabled again.
    HELD = "held", "Held"
    # Held longer than WEBHOOKS_HOLD_DAYS: kept in the log, sent again only by hand.
    EXPIRED = "expired", "Expired"


class Delivery(OutboxRow):
    """One event for one endpoint: the outbox row (core.outbox), written in the transaction of the
    change. The body is kept as sent, so every attempt signs the same bytes under the same
    `webhook_id`."""

    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=40)
    webhook_id = models.CharField(max_length=40, unique=True)
    body = models.TextField()
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    # No attempt after this: retries stop 24 h after the event (or after a resend).
    retry_until = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "deliveries"
        indexes = [
            models.Index(fields=["endpoint", "-created_at"], name="delivery_log"),
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="pending"),
                name="delivery_due",
            ),
            # Held rows: released per endpoint in created order, expired by the sweeper.
            models.Index(
                fields=["endpoint", "created_at", "id"],
                condition=Q(status="held"),
                name="delivery_held",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint_id} ({self.status})"
