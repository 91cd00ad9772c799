"""Self-reported demographics (docs/analytics.md): the choices offered for each category of
`DEMOGRAPHIC_CATEGORIES`, and each member's own value, kept apart from the member record. Nothing
but this app reads them, and it publishes them only as suppressed aggregates to People analytics
(and to the member themselves)."""

from django.db import models
from django.db.models import Q

from core.validators import refuse_control_characters
from ladder.models import Member

# Offered in every category, always: it cannot be deactivated (a database constraint) nor deleted
# (the admin refuses).
PREFER_NOT_TO_SAY = "prefer-not-to-say"
PREFER_NOT_TO_SAY_LABEL = "Prefer not to say"


class DemographicChoice(models.Model):
    """One answer offered in one category (a code of `DEMOGRAPHIC_CATEGORIES`)."""

    category = models.SlugField(max_length=40)
    code = models.SlugField(max_length=60)
    label = models.CharField(max_length=120, validators=[refuse_control_characters])
    order = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["category", "order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["category", "code"], name="demographic_choice_unique"),
            models.CheckConstraint(
                condition=Q(is_active=True) | ~Q(code=PREFER_NOT_TO_SAY),
                name="demographic_prefer_not_to_say_active",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.category}: {self.label}"


class DemographicValue(models.Model):
    """A member's own answer in one category: at most one per member and category. Withdrawn:
    the row is deleted."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+")
    category = models.SlugField(max_length=40)
    choice = models.ForeignKey(DemographicChoice, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["member", "category"], name="demographic_value_one_per_category"
            ),
        ]

    def __str__(self) -> str:
        return f"demographic value {self.pk}"
