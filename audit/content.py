"""What the audit chain hashes: an audited row as canonical JSON (its table, every concrete column
but the erasable ones, and the sha256 of the erasable ones apart; keys sorted, no spaces, ASCII
only), and a link's hash. One definition, used when a link is appended, by the backfilling
migration, by `audit_verify` and by the offline check of a bundle (which needs no database:
`link_hash`, `content_digest` and `erasable_digest` work on plain JSON).

The erasable columns of a table (`ERASABLE`) are the only ones a member's erasure or retention
may rewrite, and in them only the personal leaves (`PERSONAL_LEAVES`: free text and names): the
hash of their full values is committed to separately, beside the hash of their values without
the personal leaves, so an erased row's every other column and every other value of its erasable
columns (a vote's decision, a configuration value, a member's groups) is still checked against
its link (docs/audit.md, "Erasure")."""

import datetime
import decimal
import hashlib
import json
import uuid
from dataclasses import dataclass

from django.db import models
from django.utils import timezone

GENESIS = "0" * 64  # the previous hash of the first link

# Per audited table (its label, so migrations' historical models and the offline check of a
# bundle use it too: the audit app imports no domain app), the columns an erasure may rewrite,
# exactly those that ladder/erasure.py, promotions/personal_data.py and promotions/retention.py
# rewrite: an event's note (retention) and the votes on record (reviewers' usernames); a change
# to a person's record (their names, address, username, their manager's username); a change to
# the configuration's target and values (a delegation names its people by username, a promotion
# its candidate). A table not listed has none (level changes, erasures).
ERASABLE: dict[str, tuple[str, ...]] = {
    "promotions.promotionevent": ("note", "votes"),
    "ladder.memberchange": ("changes",),
    "audit.configchange": ("target", "changes"),
}


@dataclass(frozen=True)
class Personal:
    """The personal leaves of one erasable column, the only values an erasure may change in it:
    the `whole` value (free text), or the values under `keys` of the column's dict (of each dict
    of its list: `each`), or under the keys `by_target` gives for the row's target_type."""

    whole: bool = False
    keys: tuple[str, ...] = ()
    each: bool = False
    by_target: tuple[tuple[str, tuple[str, ...]], ...] = ()


# Per erasable column, its personal leaves (what ladder/erasure.py, promotions/personal_data.py
# and promotions/retention.py rewrite): an event's note, each vote's reviewer and cast_by (never
# its decision, counted, why_not, ratings); in a change to a person's record, the values of their
# names, address, username, manager and the identity provider's identifiers and the invitation's
# "sent to <address>" (never groups, is_staff, is_active, level...); a configuration change's
# target, a delegation's delegator and delegate and a legal hold's reason. Everything else in an
# erasable column is checked against the row's link (`erasable_masked_sha256`).
PERSONAL_LEAVES: dict[str, dict[str, Personal]] = {
    "promotions.promotionevent": {
        "note": Personal(whole=True),
        "votes": Personal(keys=("reviewer", "cast_by"), each=True),
    },
    "ladder.memberchange": {
        "changes": Personal(
            keys=(
                "username",
                "email",
                "first_name",
                "last_name",
                "manager",
                "external_id",
                "employee_number",
                "department",
                "invitation",
            )
        ),
    },
    "audit.configchange": {
        "target": Personal(whole=True),
        "changes": Personal(
            by_target=(
                ("promotions.delegation", ("delegator", "delegate")),
                ("promotions.promotion", ("reason",)),
            )
        ),
    },
}


def canonical_json(value) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def _plain(field: models.Field, value):
    """A field's value as the database gives it back, whatever Python held before the save."""
    if value is None:
        return None
    if isinstance(field, models.JSONField):
        # Through the field's own encoder and back: tuples become lists, keys strings, as the
        # database returns them.
        return json.loads(json.dumps(value, cls=field.encoder))
    if isinstance(field, models.ForeignKey):
        return _plain(field.target_field, value)
    value = field.to_python(value)
    if isinstance(value, datetime.datetime):
        if timezone.is_naive(value):
            value = timezone.make_aware(value)
        return value.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return f"{value.normalize():f}"
    if isinstance(value, uuid.UUID | datetime.timedelta):
        return str(value)
    return value


def erasable_fields(label: str) -> tuple[str, ...]:
    return ERASABLE.get(label, ())


def erasable_values(model: type[models.Model], obj, values: dict | None = None) -> dict:
    """`{<erasable column>: value}` of the row, as the database gives them back; `values`, when
    given, are new values of some of them (what an erasure writes)."""
    values = values or {}
    return {
        field.attname: _plain(
            field,
            values[field.attname] if field.attname in values else field.value_from_object(obj),
        )
        for field in model._meta.concrete_fields
        if field.attname in erasable_fields(model._meta.label_lower)
    }


def erasable_digest(values: dict) -> str:
    """sha256 of the erasable columns' canonical JSON (`{}` for a table without any)."""
    return hashlib.sha256(canonical_json(values)).hexdigest()


def _without(value, keys: tuple[str, ...]):
    if isinstance(value, dict):
        return {key: item for key, item in value.items() if key not in keys}
    return value  # not the shape that holds personal leaves: all of it is checked


def erasable_masked(label: str, values: dict, row: dict) -> dict:
    """The erasable columns' `values` (plain JSON) with their personal leaves (PERSONAL_LEAVES)
    taken out: what an erasure may not change. `row`: the row's other columns (a configuration
    change's target_type). Works on plain JSON (the offline check of a bundle)."""
    leaves = PERSONAL_LEAVES.get(label, {})
    masked = {}
    for column, value in values.items():
        personal = leaves.get(column)
        if personal is None:
            masked[column] = value
        elif personal.whole:
            masked[column] = None
        else:
            keys = personal.keys + dict(personal.by_target).get(str(row.get("target_type")), ())
            if personal.each and isinstance(value, list):
                masked[column] = [_without(item, keys) for item in value]
            else:
                masked[column] = value if personal.each else _without(value, keys)
    return masked


def erasable_masked_digest(label: str, values: dict, row: dict) -> str:
    return hashlib.sha256(canonical_json(erasable_masked(label, values, row))).hexdigest()


def row_content(model: type[models.Model], obj) -> dict:
    """The row as the chain hashes it: `{"table": <app.model>, "row": {<column>: value},
    "erasable_masked_sha256": <sha256 of the erasable columns without their personal leaves>,
    "erasable_sha256": <sha256 of {<erasable column>: value}>}`, the erasable columns out of
    `row`."""
    label = model._meta.label_lower
    erasable = erasable_fields(label)
    row = {
        field.attname: _plain(field, field.value_from_object(obj))
        for field in model._meta.concrete_fields
        if field.attname not in erasable
    }
    values = erasable_values(model, obj)
    return {
        "table": label,
        "row": row,
        "erasable_masked_sha256": erasable_masked_digest(label, values, row),
        "erasable_sha256": erasable_digest(values),
    }


def content_digest(content: dict) -> str:
    return hashlib.sha256(canonical_json(content)).hexdigest()


def link_hash(prev_hash: str, content_sha256: str) -> str:
    """sha256 of the previous link's hash followed by this row's content hash (hex strings)."""
    return hashlib.sha256((prev_hash + content_sha256).encode()).hexdigest()


def erased_problem(content: dict, content_sha256: str, rewrites: list[tuple[str, str]]) -> str:
    """What is wrong with an erased row ("" when nothing): `content` is its content as it is now
    (row_content), `content_sha256` its link's, `rewrites` the (before, after) erasable hashes of
    its erasures in order. Its other columns must be those its link hashed (with the erasable
    hash before the first rewrite), and so must its erasable columns but their personal leaves
    (`erasable_masked_sha256`, of the values as they are now), each rewrite must start where the
    one before ended, and its erasable columns must be what the last rewrite wrote."""
    if content_digest({**content, "erasable_sha256": rewrites[0][0]}) != content_sha256:
        return (
            "the row's content does not match its content hash (changed: an erasure may rewrite "
            "only the personal leaves of its erasable columns)"
        )
    for (_, after), (before, _) in zip(rewrites, rewrites[1:], strict=False):
        if before != after:
            return "its erasures do not follow one another (one is missing or forged)"
    if content.get("erasable_sha256") != rewrites[-1][1]:
        return "the row's erasable columns are not what its last erasure wrote (changed since)"
    return ""
