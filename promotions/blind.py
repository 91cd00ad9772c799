"""The blind first pass of a cycle with `blind_review`: the one rule of who reads a case blind, and
the pseudonym they read it under. Every view, serializer, page and message asks here.

Blind to a user: a promotion of a blind cycle, for anyone but HR and the people involved in it
(the candidate, the nominator, the candidate's manager, who know who it is), until they have cast
a vote (for themselves, or for a seat they hold) on its current packet version. A new version
blinds again until they vote on it. Executives never vote, so they read a blind case blind
throughout (docs/decisions.md)."""

import base64
import hashlib
import hmac
from collections.abc import Iterable

from django.conf import settings
from django.db.models import Exists, F, OuterRef, Q

from core import roles
from ladder.selectors import member_of
from promotions import permissions
from promotions.models import RELEASED, Review

PREFIX = "Candidate"
# What a blind reader reads where the nominator's name would be.
NOMINATOR = "the nominator"


def pseudonym(promotion_id: int) -> str:
    """`Candidate K7Q2XM`: stable per promotion, and not to be worked out from its id without the
    SECRET_KEY (an HMAC of the id, six base32 characters)."""
    digest = hmac.new(
        settings.SECRET_KEY.encode(), f"blind-review:{promotion_id}".encode(), hashlib.sha256
    ).digest()
    return f"{PREFIX} {base64.b32encode(digest).decode()[:6]}"


def in_blind_cycle(promotion) -> bool:
    """Whether the promotion (a model, a selectors.PromotionRow, or one read with the cycle's
    `blind_review` as `blind_cycle`) belongs to a blind cycle."""
    if hasattr(promotion, "blind_cycle"):
        return bool(promotion.blind_cycle)
    cycle = promotion.cycle
    return cycle is not None and bool(cycle.blind_review)


def _may_be_blind(user) -> bool:
    return bool(user is not None and user.is_authenticated and not roles.is_hr(user))


def voted_on_current(*, user, promotions: Iterable) -> set[int]:
    """The ids of those of `promotions` on whose current packet version `user` has cast a vote
    (their own, or for a seat they hold). One query."""
    versions = {promotion.pk: promotion.packet_version for promotion in promotions}
    if not versions:
        return set()
    cast = Review.objects.filter(promotion_id__in=versions).filter(
        Q(reviewer=user) | Q(cast_by=user)
    )
    return {
        promotion_id
        for promotion_id, version in cast.values_list("promotion_id", "packet_version")
        if versions[promotion_id] == version
    }


def blind_ids_for(user, promotions: Iterable) -> set[int]:
    """Of `promotions`, the ids of those `user` reads blind: at most one query, whatever their
    number (none when no promotion is in a blind cycle, or for HR)."""
    candidates = [p for p in promotions if in_blind_cycle(p)]
    if not candidates or not _may_be_blind(user):
        return set()
    me = member_of(user)
    member_id = me.pk if me else None
    uninvolved = [
        p
        for p in candidates
        if not permissions.is_involved_ids(user_id=user.pk, member_id=member_id, promotion=p)
    ]
    voted = voted_on_current(user=user, promotions=uninvolved)
    return {p.pk for p in uninvolved if p.pk not in voted}


def is_blind_for(user, promotion) -> bool:
    """Whether `user` reads `promotion` blind now (the rule above)."""
    return promotion.pk in blind_ids_for(user, [promotion])


def blind_to(user) -> Q:
    """The promotions `user` reads blind, as a database filter (the rule of blind_ids_for)."""
    if not _may_be_blind(user):
        return Q(pk__isnull=True)  # none
    voted = Review.objects.filter(
        promotion=OuterRef("pk"), packet_version=OuterRef("packet_version")
    ).filter(Q(reviewer=user) | Q(cast_by=user))
    return Q(cycle__blind_review=True) & ~Q(Exists(voted)) & ~permissions.involving(user)


def voted_in_cycle(*, user, cycle_id: int) -> set[int]:
    """The ids of the cycle's promotions on whose current version `user` has voted (one query):
    for the calibration board, which reads plain rows."""
    cast = Review.objects.filter(
        promotion__cycle_id=cycle_id, packet_version=F("promotion__packet_version")
    ).filter(Q(reviewer=user) | Q(cast_by=user))
    return set(cast.values_list("promotion_id", flat=True))


def may_be_blind(user) -> bool:
    """Whether anything may be blind to `user` at all (not to HR, nor to no one signed in)."""
    return _may_be_blind(user)


def involved_actor_ids(promotion) -> set[int]:
    """Whose name as an actor tells a blind reader whose case it is: the candidate, the
    nominator, the packet's authors and the candidate's manager (who may release a decision)."""
    manager = promotion.candidate.manager
    involved = {promotion.candidate.user_id, promotion.nominated_by_id, *promotion.packet_authors}
    return involved | ({manager.user_id} if manager is not None else set())


def hidden_actor_ids(user, promotion, events: Iterable, *, blinded: bool | None = None) -> set[int]:
    """The actors of a timeline that `user` may not read while blind: the people involved
    (involved_actor_ids) and whoever released a decision. Empty when not blind."""
    if not (is_blind_for(user, promotion) if blinded is None else blinded):
        return set()
    released = {e.actor.pk for e in events if e.to_state == RELEASED and e.actor is not None}
    return involved_actor_ids(promotion) | released
