"""What the committee's desk in the admin shows of one promotion, for one viewer: a read, shaped
as a small typed object rather than attributes hung on the model."""

from dataclasses import dataclass, field
from datetime import date

from django.utils import timezone

from ladder.models import Level, LevelChange, Member
from promotions import permissions, selectors
from promotions.models import Promotion, PromotionEvent, Review


@dataclass(frozen=True)
class Vote:
    reviewer: str
    decision: str
    comment: str
    at: object
    counted: bool
    why_not: str | None


@dataclass(frozen=True)
class Desk:
    promotion: Promotion
    candidate: Member
    target: Level
    months_in_level: int
    career: list[LevelChange]
    committee_view: bool  # votes, reviewers, actors and notes: the committee's, never the recused
    votes: list[Vote] = field(default_factory=list)
    events: list[PromotionEvent] = field(default_factory=list)
    may_review: bool = False
    my_review: Review | None = None
    available_transitions: list[str] = field(default_factory=list)


def months_between(start: date, end: date) -> int:
    return (end.year - start.year) * 12 + end.month - start.month - (end.day < start.day)


def promotion_desk(*, user, promotion: Promotion) -> Desk:
    candidate = promotion.candidate
    committee_view = permissions.sees_committee_work(user, promotion)
    votes: list[Vote] = []
    my_review = None
    if committee_view:
        reviews = {
            r.reviewer.get_username(): r
            for r in promotion.reviews.select_related("reviewer").order_by("created_at", "id")
        }
        for judged in selectors.promotion_votes(promotion=promotion):
            review = reviews[judged["reviewer"]]
            votes.append(
                Vote(
                    reviewer=judged["reviewer"],
                    decision=judged["decision"],
                    comment=review.comment,
                    at=review.updated_at,
                    counted=judged["counted"],
                    why_not=judged["why_not"],
                )
            )
            if review.reviewer_id == user.pk:
                my_review = review
    return Desk(
        promotion=promotion,
        candidate=candidate,
        target=promotion.to_level,
        months_in_level=months_between(candidate.level_since, timezone.localdate()),
        career=list(candidate.level_changes.select_related("from_level", "to_level")),
        committee_view=committee_view,
        votes=votes,
        events=list(selectors.promotion_timeline(promotion=promotion)),
        may_review=permissions.allows(user, permissions.REVIEW, promotion),
        my_review=my_review,
        available_transitions=selectors.available_transitions(user=user, promotions=[promotion])[
            promotion.pk
        ],
    )
