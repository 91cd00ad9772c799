"""A signed export of some audit rows and their links (docs/audit.md): enough to check, with no
database, that each row is the one its link hashed and that each link's hash holds; signed with
HMAC-SHA256 under AUDIT_SIGNING_KEY (empty: a key derived from SECRET_KEY). The caller chooses
the rows and describes them (`subject`, e.g. a cycle's decisions): the audit app knows no domain."""

import hashlib
import hmac
import json
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import models
from django.utils import timezone

from audit.content import (
    canonical_json,
    content_digest,
    erasable_digest,
    erasable_masked_digest,
    erasable_values,
    erased_problem,
    link_hash,
    row_content,
)

# 2: erasable columns hashed apart; 3: and without their personal leaves (docs/audit.md)
FORMAT = "pm-ladder-audit-bundle/3"
# What an empty AUDIT_SIGNING_KEY derives its key from, with SECRET_KEY.
DERIVED_KEY_LABEL = b"pm-ladder audit bundle signing key"


def signing_key() -> bytes:
    if settings.AUDIT_SIGNING_KEY:
        return settings.AUDIT_SIGNING_KEY.encode()
    return hmac.new(settings.SECRET_KEY.encode(), DERIVED_KEY_LABEL, hashlib.sha256).digest()


def _signature(body: dict, key: bytes) -> str:
    return hmac.new(key, canonical_json(body), hashlib.sha256).hexdigest()


def _link_of(link, row=None, erasures=()) -> dict:
    entry = {
        "seq": link.seq,
        "audited": link.audited,
        "row_id": link.row_id,
        "prev_hash": link.prev_hash,
        "content_sha256": link.content_sha256,
        "hash": link.hash,
    }
    if row is not None:
        model = type(row)
        entry |= {
            "erased": bool(erasures),
            "content": row_content(model, row),
            "erasable": erasable_values(model, row),
            # Each rewrite of the row's erasable columns, an audit row with its own link.
            "erasures": [_link_of(erasure_link, erasure) for erasure_link, erasure in erasures],
        }
    return entry


def bundle_build(*, subject: dict, rows: Iterable, key: bytes) -> dict:
    """The signed bundle of these audit rows (model instances of chained tables): each row's
    content, its erasable columns' values and its link, with the erasures of an erased row (each
    with its own content and link), in the chain's order, and the chain's head when exported."""
    from audit.chain import chain_head
    from audit.models import Erasure, Link

    by_table: dict[str, dict[int, models.Model]] = {}
    for row in rows:
        by_table.setdefault(row._meta.label_lower, {})[row.pk] = row
    links = [
        link
        for label, table in by_table.items()
        for link in Link.objects.filter(audited=label, row_id__in=list(table))
    ]
    erasures: dict[int, list] = {}
    marks = list(Erasure.objects.filter(link__in=[link.pk for link in links]).order_by("id"))
    own_links = {
        link.row_id: link
        for link in Link.objects.filter(
            audited=Erasure._meta.label_lower, row_id__in=[mark.pk for mark in marks]
        )
    }
    for mark in marks:
        erasures.setdefault(mark.link_id, []).append((own_links[mark.pk], mark))
    head = chain_head()
    body = {
        "format": FORMAT,
        "exported_at": timezone.now().isoformat(),
        "subject": subject,
        "head": _link_of(head) if head is not None else None,
        "links": [
            _link_of(link, by_table[link.audited][link.row_id], erasures.get(link.pk, ()))
            for link in sorted(links, key=lambda link: link.seq or 0)
        ],
    }
    return {**body, "signature": _signature(body, key)}


@dataclass(frozen=True)
class BundleChecked:
    rows: int
    erased: int
    head: str


class BundleBroken(Exception):
    """The first thing wrong with a bundle."""


def _link_problem(link: dict) -> str:
    if link.get("hash") != link_hash(str(link.get("prev_hash")), str(link.get("content_sha256"))):
        return "hash is not sha256(prev_hash + content_sha256)"
    if "content" not in link:
        return ""
    content, erasures = link["content"], link.get("erasures")
    if not isinstance(content, dict) or content.get("table") != link.get("audited"):
        return "the row is not of the table its link names"
    if not isinstance(content.get("row"), dict) or content["row"].get("id") != link.get("row_id"):
        return "the row is not the one its link names"
    erasable = link.get("erasable")
    if not isinstance(erasable, dict) or erasable_digest(erasable) != content.get(
        "erasable_sha256"
    ):
        return "the row's erasable columns do not match their hash"
    if erasable_masked_digest(str(content["table"]), erasable, content["row"]) != content.get(
        "erasable_masked_sha256"
    ):
        return "the row's erasable columns do not match their hash without their personal leaves"
    if not isinstance(erasures, list) or bool(erasures) != bool(link.get("erased")):
        return "the row's erasures are not listed"
    rewrites = []
    for erasure in erasures:
        problem = _link_problem(erasure) if isinstance(erasure, dict) else "not a link"
        if problem:
            return f"its erasure at seq {erasure.get('seq')}: {problem}"
        marked = erasure["content"]
        if marked.get("table") != "audit.erasure":
            return "its erasure is not an erasure"
        rewrites.append((marked["row"].get("before_sha256"), marked["row"].get("after_sha256")))
    if rewrites:
        return erased_problem(content, str(link.get("content_sha256")), rewrites)
    if content_digest(content) != link.get("content_sha256"):
        return "the row's content does not match its content hash"
    return ""


def bundle_verify(data: bytes, *, key: bytes) -> BundleChecked:
    """Check a bundle with no database: each included row against its link's content hash and
    its erasable columns against their hash (an erased row: its other columns against its link,
    its erasable columns against what its last erasure wrote, each erasure checked as a row),
    each link's hash, then the signature."""
    try:
        bundle = json.loads(data)
    except ValueError:
        raise BundleBroken("not a bundle: not JSON") from None
    if not isinstance(bundle, dict) or bundle.get("format") != FORMAT:
        raise BundleBroken(f"not a bundle of the format {FORMAT}")
    links = bundle.get("links")
    head = bundle.get("head")
    if not isinstance(links, list) or not all(isinstance(link, dict) for link in links):
        raise BundleBroken("not a bundle: no list of links")
    for link in [*links, *([head] if isinstance(head, dict) else [])]:
        problem = _link_problem(link)
        if problem:
            raise BundleBroken(
                f"seq {link.get('seq')}, {link.get('audited')} row {link.get('row_id')}: {problem}"
            )
    body = {name: value for name, value in bundle.items() if name != "signature"}
    signature = bundle.get("signature")
    if not isinstance(signature, str) or not hmac.compare_digest(signature, _signature(body, key)):
        raise BundleBroken("the signature does not match: changed, or signed with another key")
    return BundleChecked(
        rows=len(links),
        erased=sum(len(link.get("erasures") or []) for link in links),  # markings
        head=str(head.get("hash")) if isinstance(head, dict) else "",
    )
