import pgtrigger
from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from audit.models import ChainedRecord
from core.records import append_only_trigger
from core.validators import refuse_control_characters


class Track(models.TextChoices):
    IC = "ic", "Individual contributor"
    MANAGEMENT = "management", "Management"


MOVE_GOES_UP_CHECK = """
IF EXISTS (
    SELECT 1 FROM ladder_leveltransition t
    JOIN ladder_level f ON f.id = t.from_level_id
    JOIN ladder_level o ON o.id = t.to_level_id
    WHERE ({where}) AND o.rank <= f.rank
) THEN
    RAISE EXCEPTION 'ladder: a move must go up the ladder (level %)', NEW.id
        USING ERRCODE = 'check_violation';
END IF;
RETURN NULL;
"""

# Every statement writing levels or moves gives the ladder a new version number, in its own
# transaction (see LadderVersion). A sequence, not number + 1: a number taken by a transaction that
# rolled back is never given again, so a process cannot mistake other rows for the ones it keeps.
BUMP_LADDER_VERSION = """
INSERT INTO ladder_ladderversion (id, number) VALUES (1, nextval('ladder_ladderversion_number'))
ON CONFLICT (id) DO UPDATE SET number = EXCLUDED.number;
RETURN NULL;
"""


def bumps_ladder_version(name: str) -> pgtrigger.Trigger:
    return pgtrigger.Trigger(
        name=name,
        level=pgtrigger.Statement,
        operation=pgtrigger.Insert | pgtrigger.Update | pgtrigger.Delete | pgtrigger.Truncate,
        when=pgtrigger.After,
        func=BUMP_LADDER_VERSION,
    )


class LadderVersion(models.Model):
    """One row: a number that changes, in the writing transaction, whenever levels or moves do
    (a trigger on each table). A process keeps levels and moves in memory under this number and
    reads them again when it differs (ladder.selectors.ladder_snapshot): never stale, and no
    query of their own on a page of promotions, whose query reads the number as a column."""

    number = models.BigIntegerField()

    def __str__(self) -> str:
        return f"ladder version {self.number}"


class Level(models.Model):
    code = models.SlugField(max_length=40, unique=True)
    rank = models.PositiveSmallIntegerField(unique=True)
    title = models.CharField(max_length=120, validators=[refuse_control_characters])
    track = models.CharField(max_length=20, choices=Track.choices)
    position = models.TextField(blank=True)
    mission = models.TextField(blank=True)
    goal = models.TextField(blank=True)
    # Eligibility: the months a member spends at this level before a move up (0: no minimum).
    min_months_in_level = models.PositiveSmallIntegerField(default=12)
    # A move to this level needs an Executive's approval after the committee's (promotions'
    # awaiting_executive).
    executive_approval = models.BooleanField(default=False)

    class Meta:
        ordering = ["rank"]
        constraints = [models.CheckConstraint(condition=Q(rank__gte=1), name="level_rank_positive")]
        triggers = [
            pgtrigger.Trigger(
                name="level_rank_keeps_moves_up",
                operation=pgtrigger.UpdateOf("rank"),
                when=pgtrigger.After,
                timing=pgtrigger.Deferred,
                func=MOVE_GOES_UP_CHECK.format(where="NEW.id IN (t.from_level_id, t.to_level_id)"),
            ),
            bumps_ladder_version("level_bumps_ladder_version"),
        ]

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
        # "Only upwards" spans two tables, so it is a trigger rather than a CHECK; checked at
        # commit, so an edit of several rows is judged as a whole. The rest of the ladder's rules
        # (no skipping within a track) are ladder.services.ladder_problems.
        triggers = [
            pgtrigger.Trigger(
                name="level_move_goes_up",
                operation=pgtrigger.Insert | pgtrigger.Update,
                when=pgtrigger.After,
                timing=pgtrigger.Deferred,
                func=MOVE_GOES_UP_CHECK.format(where="t.id = NEW.id"),
            ),
            bumps_ladder_version("move_bumps_ladder_version"),
        ]

    def __str__(self) -> str:
        return f"{self.from_level.code} → {self.to_level.code}"


class Criterion(models.Model):
    """What a promotion to a level is judged against: an assessable clause of the level's mission
    or goal in the ladder definition, quoted in `description`. HR rewords or deactivates them;
    a packet version keeps the titles it was written against, so no old packet changes."""

    level = models.ForeignKey(Level, on_delete=models.PROTECT, related_name="criteria")
    code = models.SlugField(max_length=60)
    title = models.CharField(max_length=120, validators=[refuse_control_characters])
    description = models.TextField()
    order = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["level__rank", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["level", "code"], name="unique_criterion_per_level")
        ]
        verbose_name_plural = "criteria"

    def __str__(self) -> str:
        return f"{self.level.code}: {self.title}"


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
    # When HR erased the person's data (ladder/erasure.py): the record stays, under a pseudonym.
    erased_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["user__username"]
        constraints = [
            models.CheckConstraint(condition=~Q(manager=F("id")), name="member_not_own_manager"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_of(self.user.first_name, self.user.last_name, self.user.get_username())

    @staticmethod
    def name_of(first_name: str, last_name: str, username: str) -> str:
        """The full name, else the username (also for rows read without a model instance)."""
        return f"{first_name} {last_name}".strip() or username


class LevelChange(ChainedRecord):
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
        triggers = [append_only_trigger("level_change_append_only")]
        verbose_name = "career history entry"
        verbose_name_plural = "career history"

    def __str__(self) -> str:
        return (
            f"{self.member}: {self.from_level.code} → {self.to_level.code} ({self.effective_date})"
        )


class MemberChange(ChainedRecord):
    """The audit trail of people's records: who changed whose record, when, what, and by which
    route (API, admin). Covers the member (manager, activity, level on creation) and the user
    account behind it (names, e-mail, groups, staff status, password). Never updated or deleted."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    route = models.CharField(max_length=20)
    # {"field": {"from": old, "to": new}}; a password is recorded as changed, never its value.
    changes = models.JSONField()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["user", "-at"], name="member_change_user_at")]
        triggers = [append_only_trigger("member_change_append_only")]
        verbose_name = "change to a person's record"
        verbose_name_plural = "changes to people's records"

    def __str__(self) -> str:
        return f"{self.user} changed by {self.actor} at {self.at:%Y-%m-%d %H:%M}"
