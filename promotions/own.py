"""Reads for the member site: a member's own promotions, the nominations they made and their team.
Scoped as the API's selectors are (a promotion one may not read here is a 404, as one that does
not exist), with the same visibility rules."""

from dataclasses import dataclass, field

from django.db.models import Q, QuerySet

from ladder.models import LevelChange, Member
from ladder.selectors import member_of
from promotions.eligibility import Blockers, members_eligibility, months_between
from promotions.errors import PromotionNotFound
from promotions.models import UNSETTLED, Promotion

PROMOTION_PAGE = ("candidate__user", "candidate__level", "from_level", "to_level", "nominated_by")


def candidate_promotions(*, user) -> QuerySet[Promotion]:
    """The user's own promotions (as the candidate), newest first."""
    return (
        Promotion.objects.filter(candidate__user=user)
        .select_related("from_level", "to_level", "cycle")
        .order_by("-created_at", "-id")
    )


def promotion_of_candidate(*, user, promotion_id) -> Promotion:
    """One of the user's own promotions, or 404 (whoever else may read it)."""
    return _one(Promotion.objects.filter(candidate__user=user), promotion_id)


def promotion_of_nominator(*, user, promotion_id) -> Promotion:
    """A promotion the user nominated, or 404."""
    return _one(Promotion.objects.filter(nominated_by=user), promotion_id)


def _one(promotions: QuerySet[Promotion], promotion_id) -> Promotion:
    try:
        return promotions.select_related(*PROMOTION_PAGE, "cycle").get(pk=promotion_id)
    except (Promotion.DoesNotExist, ValueError, TypeError):
        raise PromotionNotFound() from None


def nominations_by(*, user) -> QuerySet[Promotion]:
    """The promotions the user nominated, newest first."""
    return (
        Promotion.objects.filter(nominated_by=user)
        .select_related(*PROMOTION_PAGE)
        .order_by("-created_at", "-id")
    )


def level_history(*, member: Member) -> list[LevelChange]:
    return list(
        member.level_changes.select_related("from_level", "to_level").order_by(
            "-effective_date", "-id"
        )
    )


@dataclass
class TeamRow:
    """One direct report as the manager's team page shows them."""

    member: Member
    months_in_level: int
    next_levels: list[Blockers]
    # Open, approved and not yet effective, or decided and held for the cycle's release date.
    promotion: Promotion | None = None
    own: bool = field(default=False)  # nominated by the manager (they follow it on its page)


def team_of(*, user, today) -> list[TeamRow]:
    """The user's active direct reports, by name, with their eligibility for each next level and
    any open or pending promotion: five queries, whatever the team's size."""
    me = member_of(user)
    if me is None:
        return []
    reports = list(
        Member.objects.filter(manager=me, is_active=True)
        .select_related("user", "level")
        .order_by("user__last_name", "user__first_name", "user__username")
    )
    eligibility = members_eligibility(members=reports, today=today)
    promotions = {
        promotion.candidate_id: promotion
        for promotion in Promotion.objects.filter(candidate__in=reports)
        .filter(UNSETTLED | Q(release_held=True))
        .select_related("to_level", "cycle")
        .order_by("created_at")
    }
    return [
        TeamRow(
            member=report,
            months_in_level=months_between(report.level_since, today),
            next_levels=eligibility[report.pk],
            promotion=promotions.get(report.pk),
            own=report.pk in promotions and promotions[report.pk].nominated_by_id == user.pk,
        )
        for report in reports
    ]
