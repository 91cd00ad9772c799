"""An appeal of a rejection; registered with the promotions app by promotions/models.py, which
imports it."""

from django.conf import settings
from django.db import models

# The longest statement an appellant writes (docs/api.md, `statement_too_long`: at most 4,000
# characters).
STATEMENT_LIMIT = 4000


class Appeal(models.Model):
    """The candidate's or the nominator's appeal of a rejected promotion: one per promotion (the
    database holds it). Votes cast on the promotion before `created_at` do not count on it, and
    their reviewers may not sit on its panel."""

    promotion = models.OneToOneField(
        "promotions.Promotion", on_delete=models.PROTECT, related_name="appeal_filed"
    )
    appellant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    statement = models.TextField(max_length=STATEMENT_LIMIT)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Appeal of #{self.promotion_id}"
