"""What the apps that write notifications tell this app about them: whether a recipient may still
read one when it is sent, and how to compose the e-mails that carry a secret."""

from collections.abc import Callable
from dataclasses import dataclass

from notifications.models import Notification

# Whether each recipient may still read a message when it is sent (they may have left the
# committee since it was written): the app that writes messages about its objects registers its
# rule (promotions/apps.py) as a function of the rows that answers the ids no longer readable.
_readership_checks: list[Callable[[list[Notification]], set[int]]] = []


def register_readership_check(check: Callable[[list[Notification]], set[int]]) -> None:
    if check not in _readership_checks:
        _readership_checks.append(check)


def unreadable(rows: list[Notification]) -> set[int]:
    """The rows whose recipient may no longer read them: deactivated, or refused by a rule."""
    gone = {row.pk for row in rows if not row.recipient.is_active}
    for check in _readership_checks:
        gone |= check([row for row in rows if row.pk not in gone])
    return gone


# Stand-ins: someone who has handed their seat to another for a while (promotions' delegations)
# has that delegate receive a copy of the messages of their role. The app that knows who stands in
# for whom registers its rule: given the recipients of one message (its kind, the promotion it is
# about, its audience), the stand-ins it is copied to. The rule lives with the delegations; this
# app only writes the copies.
@dataclass(frozen=True)
class StandIn:
    for_id: int  # the recipient whose seat it is
    by_id: int  # who stands in for them, and receives a copy
    for_name: str  # named on the copy: "For <name>: <subject>"


StandInRule = Callable[..., list[StandIn]]
_stand_in_rules: list[StandInRule] = []


def register_stand_in_rule(rule: StandInRule) -> None:
    if rule not in _stand_in_rules:
        _stand_in_rules.append(rule)


def stand_ins(
    recipient_ids: list[int], *, kind: str, promotion_id: int | None, audience: str
) -> list[StandIn]:
    """Who receives a copy of a message to `recipient_ids`, by the registered rules."""
    found: list[StandIn] = []
    for rule in _stand_in_rules:
        found.extend(rule(recipient_ids, kind=kind, promotion_id=promotion_id, audience=audience))
    return found


# Some e-mails carry a secret that must never be stored, not even in the recipient's inbox (an
# invitation's link): the app that writes them registers, for their kind, a function that
# composes each row's e-mail (subject, plain body) as it goes out, while the row keeps the text
# the inbox shows. It answers every row it is given: None for one that can no longer be sent as
# meant (the invitation was used or replaced), which is recorded as failed, not retried. Such a
# kind goes by e-mail only.
Composer = Callable[[list[Notification]], dict[int, tuple[str, str] | None]]
_composers: dict[str, Composer] = {}


def register_composer(kind: str, compose: Composer) -> None:
    _composers[kind] = compose


def email_only(kind: str) -> bool:
    return kind in _composers


def composed(rows: list[Notification]) -> dict[int, tuple[str, str] | None]:
    """The e-mails of the rows whose kind has a composer (asked before anything is sent: a
    composer may write, e.g. the digest of the token it puts in the e-mail)."""
    answers: dict[int, tuple[str, str] | None] = {}
    for kind, compose in _composers.items():
        of_kind = [row for row in rows if row.kind == kind]
        if of_kind:
            answer = compose(of_kind)
            answers.update({row.pk: answer.get(row.pk) for row in of_kind})
    return answers
