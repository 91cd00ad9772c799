"""What the audit chain hashes: an audited row as canonical JSON (its table and every concrete
field, keys sorted, no spaces, ASCII only), and a link's hash. One definition, used when a link is
appended, by the backfilling migration, by `audit_verify` and by the offline check of a bundle
(which needs no database: `link_hash` and `content_digest` work on plain JSON)."""

import datetime
import decimal
import hashlib
import json
import uuid

from django.db import models
from django.utils import timezone

GENESIS = "0" * 64  # the previous hash of the first link


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


def row_content(model: type[models.Model], obj) -> dict:
    """The row as the chain hashes it: `{"table": <app.model>, "row": {<column>: value}}`."""
    return {
        "table": model._meta.label_lower,
        "row": {
            field.attname: _plain(field, field.value_from_object(obj))
            for field in model._meta.concrete_fields
        },
    }


def content_digest(content: dict) -> str:
    return hashlib.sha256(canonical_json(content)).hexdigest()


def link_hash(prev_hash: str, content_sha256: str) -> str:
    """sha256 of the previous link's hash followed by this row's content hash (hex strings)."""
    return hashlib.sha256((prev_hash + content_sha256).encode()).hexdigest()
