import pgtrigger
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone


class Track(models.TextChoices):
    IC = "ic", "Individual contributor"
    MANAGEMENT = "management", "Management"


class Level(models.Model):
    code = models.SlugField(max_length=40, unique=True)
    rank = models.PositiveSmallIntegerField(unique=True)
    title = models.CharField(max_length=120)
    track = models.CharField(max_length=20, choices=Track.choices)
    position = models.TextField(blank=True)
    mission = models.TextField(blank=True)
    goal = models.TextField(blank=True)

    class Meta:
        ordering = ["rank"]
        constraints = [models.CheckConstraint(condition=Q(rank__gte=1), name="level_rank_positive")]

    def __str__(self) -> str:
        return self.title


class LevelTransition(models.Model):
    """An allowed move on the ladder, from one level to a higher one."""

    from_level = models.ForeignKey(Level, on_delete=models.PROTECT, related_name="moves_out")
    to_level = models.ForeignKey(Level, on_delete=models.PROTECT, related_name="moves_in")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["from_level__rank", "to_level__rank"]
        constraints = [
            models.UniqueConstraint(fields=["from_level", "to_level"], name="unique_level_move"),
            models.CheckConstraint(
                condition=~Q(from_level=F("to_level")), name="level_move_not_to_itself"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.from_level.code} → {self.to_level.code}"

    def clean(self) -> None:
        # Ranks live on another table, so "only upwards" cannot be a CHECK constraint.
        if self.from_level_id and self.to_level_id:
            if self.from_level_id == self.to_level_id:
                raise ValidationError("A move must go to another level.")
            if self.to_level.rank <= self.from_level.rank:
                raise ValidationError("A move must go up the ladder (to a higher rank).")


class Member(models.Model):
    """A person on the ladder: one per user."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="member"
    )
    level = models.ForeignKey(Level, on_delete=models.PROTECT, related_name="members")
    manager = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reports",
    )
    level_since = models.DateField(default=timezone.localdate)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["user__username"]
        constraints = [
            models.CheckConstraint(condition=~Q(manager=F("id")), name="member_not_own_manager"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.user.get_full_name() or self.user.get_username()


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError(f"{self.model.__name__} rows are never updated.")

    def delete(self):
        raise TypeError(f"{self.model.__name__} rows are never deleted.")


class AppendOnlyModel(models.Model):
    """A record that is written once: saving it again or deleting it raises."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TypeError(f"{type(self).__name__} rows are never updated.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError(f"{type(self).__name__} rows are never deleted.")


class LevelChange(AppendOnlyModel):
    """Career history: one row per change of a member's level. Never updated or deleted."""

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="level_changes")
    from_level = models.ForeignKey(Level, on_delete=models.PROTECT, related_name="+")
    to_level = models.ForeignKey(Level, on_delete=models.PROTECT, related_name="+")
    effective_date = models.DateField()
    # Named by string: the ladder does not import the promotions app.
    promotion = models.ForeignKey(
        "promotions.Promotion",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="level_changes",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["member", "effective_date", "id"]
        # Also in the database: not even SQL from the application's connection rewrites history.
        triggers = [
            pgtrigger.Protect(
                name="level_change_append_only", operation=pgtrigger.Update | pgtrigger.Delete
            )
        ]
        verbose_name = "career history entry"
        verbose_name_plural = "career history"

    def __str__(self) -> str:
        return (
            f"{self.member}: {self.from_level.code} → {self.to_level.code} ({self.effective_date})"
        )
