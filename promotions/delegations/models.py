from django.conf import settings
from django.db import models
from django.db.models import F, Q


class Delegation(models.Model):
    """`delegator`'s seat (on the committee, or among the Executives) handed to `delegate` from
    `starts_on` to `ends_on`, both days included. Made by the delegator or by HR for them; revoked
    by deleting it (the audit trail keeps what it was)."""

    delegator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="delegations_given"
    )
    delegate = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="delegations_held"
    )
    starts_on = models.DateField()
    ends_on = models.DateField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        app_label = "promotions"
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(starts_on__lte=F("ends_on")), name="delegation_dates_in_order"
            ),
            models.CheckConstraint(
                condition=~Q(delegator=F("delegate")), name="delegation_not_to_oneself"
            ),
        ]
        indexes = [
            models.Index(fields=["delegate", "ends_on"], name="delegation_delegate_ends"),
            models.Index(fields=["delegator", "ends_on"], name="delegation_delegator_ends"),
        ]

    def __str__(self) -> str:
        return (
            f"{self.delegator.get_username()} → {self.delegate.get_username()} "
            f"({self.starts_on.isoformat()} to {self.ends_on.isoformat()})"
        )
