from django.conf import settings
from django.db import models
from django.db.models import Q


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
    # Set when the service disabled it after too many failures in a row.
    disabled_at = models.DateTimeField(null=True, blank=True)
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


class Delivery(models.Model):
    """One event for one endpoint: the outbox row, written in the transaction of the change. The
    body is kept as sent, so every attempt signs the same bytes under the same `webhook_id`."""

    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=40)
    webhook_id = models.CharField(max_length=40, unique=True)
    body = models.TextField()
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    # When the next attempt is due (null once delivered or failed).
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # No attempt after this: retries stop 24 h after the event (or after a resend).
    retry_until = models.DateTimeField()
    # A worker holds the delivery until then while it sends; a dead worker's hold runs out.
    locked_until = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

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
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint_id} ({self.status})"
