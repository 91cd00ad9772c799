"""What the committee's desk in the admin shows of one promotion, for one viewer: a read, shaped
as a small typed object rather than attributes hung on the model."""

import difflib
from collections import Counter
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from ladder.models import Level, LevelChange, Member
from promotions import blind, permissions, selectors
from promotions.eligibility import months_between
from promotions.models import PacketVersion, Promotion, PromotionEvent, Rating, Review
from promotions.packets import services as packets


@dataclass(frozen=True)
class Vote:
    reviewer: str
    decision: str
    comment: str
    at: object
    counted: bool
    why_not: str | None
    packet_version: int
    stale: bool
    cast_by: str = ""  # a delegate who cast it for the reviewer's seat; empty: the reviewer
    blind: bool = False  # cast reading the case blind (a blind cycle's first pass)


@dataclass(frozen=True)
class CaseRow:
    """One criterion of the packet as the committee reads it."""

    criterion: str
    title: str
    expectation: str
    text: SafeString  # with the differences to the compared version marked
    links: list[str]
    changed: bool
    ratings: dict[str, int]  # {rating label: count} on the shown version, for the committee


@dataclass(frozen=True)
class Desk:
    promotion: Promotion
    candidate: Member
    target: Level
    months_in_level: int | None  # None while blind: derived from the career history
    career: list[LevelChange]
    committee_view: bool  # votes, reviewers, actors, notes, ratings: never for the recused
    versions: list[PacketVersion]
    shown: PacketVersion
    compared: PacketVersion | None
    justification: SafeString
    case: list[CaseRow]
    votes: list[Vote] = field(default_factory=list)
    events: list[PromotionEvent] = field(default_factory=list)
    may_review: bool = False
    my_review: Review | None = None
    available_transitions: list[str] = field(default_factory=list)
    # A blind cycle's first pass, before the viewer's vote on the current version
    # (promotions/blind.py): the candidate as `name` (a pseudonym), no nominator, no career, no
    # actor who is involved in the case.
    blind: bool = False
    name: str = ""
    hidden_actor_ids: frozenset[int] = frozenset()

    @property
    def title(self) -> str:
        return f"{self.name} · {self.promotion.from_level.title} → {self.promotion.to_level.title}"

    @property
    def timeline(self) -> list[tuple[PromotionEvent, str]]:
        """The events, each with the actor to show ("—" for none, or one hidden while blind)."""
        return [
            (
                event,
                "—"
                if event.actor is None or event.actor_id in self.hidden_actor_ids
                else str(event.actor),
            )
            for event in self.events
        ]


def marked_differences(old: str | None, new: str) -> SafeString:
    """`new`, its words added since `old` in <ins>, those removed in <del> (escaped)."""
    if old is None or old == new:
        return format_html("{}", new)
    before, after = old.split(" "), new.split(" ")
    parts = []
    for op, a1, a2, b1, b2 in difflib.SequenceMatcher(a=before, b=after).get_opcodes():
        if op in ("delete", "replace"):
            parts.append(f"<del>{escape(' '.join(before[a1:a2]))}</del>")
        if op in ("insert", "replace"):
            parts.append(f"<ins>{escape(' '.join(after[b1:b2]))}</ins>")
        if op == "equal":
            parts.append(str(escape(" ".join(after[b1:b2]))))
    return mark_safe(" ".join(parts))  # noqa: S308 (every piece escaped above)


def promotion_desk(*, user, promotion: Promotion, version=None, compare=None) -> Desk:
    candidate = promotion.candidate
    committee_view = permissions.sees_committee_work(user, promotion)
    is_blind = blind.is_blind_for(user, promotion)
    versions = packets.packet_versions(promotion=promotion)
    by_number: dict[int | None, PacketVersion] = {v.number: v for v in versions}
    shown = by_number.get(_number(version)) or by_number[promotion.packet_version]
    compared = by_number.get(_number(compare)) if compare else by_number.get(shown.number - 1)
    votes: list[Vote] = []
    my_review = None
    ratings: dict[str, Counter] = {}
    if committee_view:
        reviews = {
            (r.reviewer.get_username(), r.packet_version): r
            for r in promotion.reviews.select_related("reviewer").order_by("created_at", "id")
        }
        for judged in selectors.promotion_votes(promotion=promotion):
            review = reviews[(judged["reviewer"], judged["packet_version"])]
            votes.append(
                Vote(
                    reviewer=judged["reviewer"],
                    decision=judged["decision"],
                    comment=review.comment,
                    at=review.updated_at,
                    counted=judged["counted"],
                    why_not=judged["why_not"],
                    packet_version=review.packet_version,
                    stale=judged["stale"],
                    cast_by=_cast_by(judged),
                    blind=review.blind,
                )
            )
            if review.reviewer_id == user.pk and review.packet_version == promotion.packet_version:
                my_review = review
            if review.packet_version == shown.number:
                for code, rating in review.ratings.items():
                    ratings.setdefault(code, Counter())[rating] += 1
    events = list(selectors.promotion_timeline(promotion=promotion))
    old = {item["criterion"]: item for item in compared.evidence} if compared else {}
    case = [
        CaseRow(
            criterion=item["criterion"],
            title=item["title"],
            expectation=item["expectation"],
            text=marked_differences(
                old[item["criterion"]]["text"] if item["criterion"] in old else None,
                item["text"],
            )
            if compared
            else format_html("{}", item["text"]),
            links=item["links"],
            changed=bool(compared) and old.get(item["criterion"], {}).get("text") != item["text"],
            ratings={
                label: ratings.get(item["criterion"], Counter())[value]
                for value, label in Rating.choices
            }
            if committee_view
            else {},
        )
        for item in shown.evidence
    ]
    return Desk(
        promotion=promotion,
        candidate=candidate,
        target=promotion.to_level,
        months_in_level=None
        if is_blind
        else months_between(candidate.level_since, timezone.localdate()),
        career=[]
        if is_blind
        else list(candidate.level_changes.select_related("from_level", "to_level")),
        committee_view=committee_view,
        versions=versions,
        shown=shown,
        compared=compared,
        justification=marked_differences(
            compared.justification if compared else None, shown.justification
        ),
        case=case,
        votes=votes,
        events=events,
        may_review=permissions.allows(user, permissions.REVIEW, promotion),
        my_review=my_review,
        available_transitions=selectors.available_transitions(user=user, promotions=[promotion])[
            promotion.pk
        ],
        blind=is_blind,
        name=blind.pseudonym(promotion.pk) if is_blind else candidate.name,
        hidden_actor_ids=frozenset(
            blind.hidden_actor_ids(user, promotion, events, blinded=is_blind)
        ),
    )


def _cast_by(judged: dict) -> str:
    """The delegate who cast a vote for the reviewer's seat, or "" when the reviewer did."""
    cast_by = judged.get("cast_by") or judged["reviewer"]
    return "" if cast_by == judged["reviewer"] else cast_by


def _number(value) -> int | None:
    text = str(value or "")
    return int(text) if text.isascii() and text.isdigit() and len(text) < 9 else None
