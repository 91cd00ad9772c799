"""Promotion packets: the case for a promotion, judged against the target level's criteria.

A packet is the justification plus evidence for every active criterion of the target level; each
submission is an immutable, numbered version that keeps the criteria's titles and expectations as
they were. Writes here are services (one transaction each, the promotion's row locked), reads are
selectors; the state machine's own rules stay in services.py and permissions.py."""

import hashlib
import json
from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, transaction

from core.errors import InvalidInput
from core.prepared import Prepared
from core.validators import refuse_control_characters_in_prose, refuse_unsafe_links
from ladder.models import Level
from ladder.selectors import level_criteria
from promotions import permissions
from promotions.errors import ErrorCode, PromotionNotFound, TransitionConflict
from promotions.models import PacketVersion, Promotion, Rating
from promotions.selectors import promotion_locked

EVIDENCE_TEXT_LIMIT = 2000
EVIDENCE_LINKS_LIMIT = 5


def packet_evidence(*, to_level: Level, evidence: list[dict]) -> list[dict]:
    """The evidence as a version keeps it, in the criteria's order, or 400: one entry for every
    active criterion of `to_level` (`evidence_missing` names the missing ones), none for another
    (`unknown_criterion`), each with a text (at most 2,000 characters) and at most five absolute
    http(s) links (`evidence_invalid`)."""
    criteria = level_criteria(level=to_level)
    by_code = {criterion.code: criterion for criterion in criteria}
    given = [item.get("criterion") for item in evidence]
    unknown = sorted({str(code) for code in given if code not in by_code})
    if unknown:
        raise InvalidInput(
            f"Not a criterion of {to_level.code}: {', '.join(unknown)}.",
            code=ErrorCode.UNKNOWN_CRITERION,
            unknown_criteria=unknown,
        )
    if len(given) != len(set(given)):
        raise InvalidInput("One entry per criterion.", code=ErrorCode.EVIDENCE_INVALID)
    missing = [c for c in criteria if c.code not in given]
    if missing:
        raise InvalidInput(
            f"Evidence is needed for every active criterion of {to_level.code}; missing: "
            f"{_named((c.code, c.title) for c in missing)}.",
            code=ErrorCode.EVIDENCE_MISSING,
            missing_criteria=[c.code for c in missing],
        )
    items = {item["criterion"]: item for item in evidence}
    kept = []
    for criterion in criteria:
        item = items[criterion.code]
        text = str(item.get("text") or "").strip()
        links = list(item.get("links") or [])
        if not text or len(text) > EVIDENCE_TEXT_LIMIT:
            raise InvalidInput(
                f"{criterion.code}: a text of 1 to {EVIDENCE_TEXT_LIMIT} characters.",
                code=ErrorCode.EVIDENCE_INVALID,
            )
        if len(links) > EVIDENCE_LINKS_LIMIT:
            raise InvalidInput(
                f"{criterion.code}: at most {EVIDENCE_LINKS_LIMIT} links.",
                code=ErrorCode.EVIDENCE_INVALID,
            )
        try:
            refuse_control_characters_in_prose(text)
        except ValidationError as exc:
            raise InvalidInput(
                f"{criterion.code}: {exc.messages[0]}", code=ErrorCode.EVIDENCE_INVALID
            ) from None
        for link in links:
            try:
                refuse_unsafe_links(str(link))
            except ValidationError as exc:
                raise InvalidInput(
                    f"{criterion.code}: {str(link)[:80]!r} is not a link we take: "
                    f"{exc.messages[0]}",
                    code=ErrorCode.EVIDENCE_INVALID,
                ) from None
        kept.append(
            {
                "criterion": criterion.code,
                "title": criterion.title,
                "expectation": criterion.description,
                "text": text,
                "links": links,
            }
        )
    return kept


def packet_sha256(*, justification: str, evidence: list[dict]) -> str:
    """Of the canonical JSON of what was submitted (sorted keys, no spaces, UTF-8)."""
    submitted = [
        {"criterion": e["criterion"], "text": e["text"], "links": e["links"]} for e in evidence
    ]
    canonical = json.dumps(
        {"justification": justification, "evidence": submitted},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _append(
    *, promotion: Promotion, number: int, submitted_by, justification: str, evidence: list[dict]
) -> PacketVersion:
    """Write version `number`; `evidence` as packet_evidence kept it, and its submitter among the
    packet's authors."""
    if submitted_by.pk not in promotion.packet_authors:
        promotion.packet_authors = [*promotion.packet_authors, submitted_by.pk]
        promotion.save(update_fields=["packet_authors"])
    return PacketVersion.objects.create(
        promotion=promotion,
        number=number,
        justification=justification,
        evidence=evidence,
        submitted_by=submitted_by,
        sha256=packet_sha256(justification=justification, evidence=evidence),
    )


def packet_first_version(
    *, promotion: Promotion, submitted_by, evidence: list[dict]
) -> PacketVersion:
    """Version 1, written with the nomination (the caller's transaction), of its justification
    and of `evidence` as packet_evidence kept it."""
    return _append(
        promotion=promotion,
        number=1,
        submitted_by=submitted_by,
        justification=promotion.justification,
        evidence=evidence,
    )


@transaction.atomic
def packet_submit(
    *, promotion: Promotion, actor, justification: str, evidence: list[dict]
) -> PacketVersion:
    """A new version of the packet: by the nominator or HR, while the promotion is nominated or
    changes were requested (409 otherwise), validated against the target level's criteria as
    they are now."""
    promotion = promotion_locked(promotion)
    permissions.ensure_can(actor, permissions.SUBMIT_PACKET, promotion)
    justification = justification.strip()
    if not justification:
        raise InvalidInput("A justification is required.", code=ErrorCode.JUSTIFICATION_REQUIRED)
    kept = packet_evidence(to_level=promotion.to_level, evidence=evidence)
    current = packet_current(promotion=promotion)
    if current.sha256 == packet_sha256(justification=justification, evidence=kept):
        # A version the same as the current one would let the promotion be resubmitted unchanged.
        raise TransitionConflict(
            f"Nothing changed since version {current.number}: change the packet, then save it.",
            code=ErrorCode.PACKET_UNCHANGED,
        )
    # The locked row names the current version: the next one follows it.
    version = _append(
        promotion=promotion,
        number=promotion.packet_version + 1,
        submitted_by=actor,
        justification=justification,
        evidence=kept,
    )
    promotion.packet_version = version.number
    promotion.justification = justification
    promotion.save(update_fields=["packet_version", "justification", "updated_at"])
    return version


def packet_ratings(*, promotion: Promotion, ratings: dict[str, str]) -> dict[str, str]:
    """A rating (not_yet, meets, exceeds) for every criterion of the current version, or 400
    `ratings_missing` naming those without one (`unknown_criterion` for others)."""
    version = packet_current(promotion=promotion)
    criteria = version.criteria
    unknown = sorted(set(ratings) - set(criteria))
    if unknown:
        raise InvalidInput(
            f"Not a criterion of this packet: {', '.join(unknown)}.",
            code=ErrorCode.UNKNOWN_CRITERION,
            unknown_criteria=unknown,
        )
    missing = [item for item in version.evidence if item["criterion"] not in ratings]
    if missing:
        raise InvalidInput(
            f"Rate every criterion of packet version {version.number}; missing: "
            f"{_named((item['criterion'], item['title']) for item in missing)}.",
            code=ErrorCode.RATINGS_MISSING,
            missing_criteria=[item["criterion"] for item in missing],
        )
    invalid = sorted(code for code, rating in ratings.items() if rating not in Rating.values)
    if invalid:
        raise InvalidInput(
            f"A rating is not_yet, meets or exceeds ({', '.join(invalid)}).",
            code=ErrorCode.RATINGS_MISSING,
            missing_criteria=invalid,
        )
    return {code: ratings[code] for code in criteria}


def _named(criteria: Iterable[tuple[str, str]]) -> str:
    """Criteria as a person reads them in an error: `code (“Title”)`, in order."""
    return ", ".join(f"{code} (“{title}”)" for code, title in criteria)


def packet_current(*, promotion: Promotion) -> PacketVersion:
    return packet_version_get(promotion=promotion, number=promotion.packet_version)


def packet_versions(*, promotion: Promotion) -> list[PacketVersion]:
    return list(promotion.packet_versions.select_related("submitted_by").order_by("number"))


def packet_version_get(*, promotion: Promotion, number) -> PacketVersion:
    """The version, with who submitted it: the models select_related() builds, from one query
    compiled once per process (every read of a packet asks)."""
    try:
        rows = _VERSION.rows(promotion.pk, number)
    except (ValueError, TypeError):
        rows = []
    if not rows:
        raise PromotionNotFound("No such packet version.", code=ErrorCode.NO_SUCH_VERSION)
    own, submitter = rows[0][: len(_VERSION_FIELDS)], rows[0][len(_VERSION_FIELDS) :]
    version = PacketVersion.from_db(DEFAULT_DB_ALIAS, _VERSION_FIELDS, own)
    version.submitted_by = get_user_model().from_db(DEFAULT_DB_ALIAS, _USER_FIELDS, submitter)
    return version


_VERSION_FIELDS = [field.attname for field in PacketVersion._meta.concrete_fields]
_USER_FIELDS = [field.attname for field in get_user_model()._meta.concrete_fields]
_VERSION = Prepared(
    lambda promotion_id, number: PacketVersion.objects.filter(
        promotion_id=promotion_id, number=number
    ).values_list(*_VERSION_FIELDS, *(f"submitted_by__{name}" for name in _USER_FIELDS))
)
