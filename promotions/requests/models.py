"""The nomination request's row; registered with the promotions app by promotions/models.py,
which imports it."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from ladder.models import Level, Member

# The longest justification or reason (promotions.models.TEXT_LIMIT, not imported: that module
# imports this one).
TEXT_LIMIT = 5000


class RequestState(models.TextChoices):
    PENDING = "pending", "Waiting for the manager"
    ACCEPTED = "accepted", "Accepted: nominated"
    DECLINED = "declined", "Declined"


class NominationRequest(models.Model):
    """A member's request to be nominated for `to_level`, with their packet (the justification
    and `evidence` as the packet rules kept it). Answered once: accepted (then `promotion` is the
    nomination it became) or declined (with a `reason` the member reads)."""

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="nomination_requests")
    to_level = models.ForeignKey(Level, on_delete=models.PROTECT, related_name="+")
    justification = models.TextField(max_length=TEXT_LIMIT)
    evidence = models.JSONField(default=list)
    state = models.CharField(
        max_length=10, choices=RequestState.choices, default=RequestState.PENDING
    )
    reason = models.TextField(max_length=TEXT_LIMIT, blank=True)
    promotion = models.OneToOneField(
        "promotions.Promotion",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="nomination_request",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        app_label = "promotions"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["member"],
                condition=Q(state="pending"),
                name="one_pending_nomination_request_per_member",
            ),
            # Pending: unanswered; accepted: a promotion; declined: a reason.
            models.CheckConstraint(
                condition=(
                    Q(state="pending", answered_at__isnull=True, promotion__isnull=True)
                    | Q(state="accepted", answered_at__isnull=False, promotion__isnull=False)
                    | (
                        Q(state="declined", answered_at__isnull=False, promotion__isnull=True)
                        & ~Q(reason="")
                    )
                ),
                name="nomination_request_answer_consistent",
            ),
        ]
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=Q(state="pending"),
                name="nomination_request_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member} → {self.to_level.code} ({self.state})"

    @property
    def answer_time(self):
        """How long the answer took (None while pending)."""
        if self.answered_at is None:
            return None
        return self.answered_at - self.created_at
