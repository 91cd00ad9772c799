"""The audit chain (docs/audit.md): which tables are chained, its head, the marking of an erased
row, the linking of rows a bulk load wrote around the chain, and the check of the whole chain
that `manage.py audit_verify` prints. Appending lives with the rows themselves
(`audit.models.ChainedRecord`)."""

from collections.abc import Iterator
from dataclasses import dataclass

from django.apps import apps
from django.db import connection, transaction

from audit.content import (
    GENESIS,
    content_digest,
    erasable_digest,
    erasable_fields,
    erasable_masked,
    erasable_values,
    erased_problem,
    link_hash,
    row_content,
)
from audit.models import CHAIN_LOCK, ChainedRecord, Erasure, Link
from audit.routes import current_route

BATCH = 2000  # links read at a time by the check: memory stays bounded whatever the chain's length


class ChainBroken(Exception):
    """The first thing wrong with the chain, naming the link (seq) and the row."""


def chained_models() -> dict[str, type[ChainedRecord]]:
    """Every audit table, by its label ("app.model")."""
    return {
        model._meta.label_lower: model
        for model in apps.get_models()
        if issubclass(model, ChainedRecord)
    }


def chain_head() -> Link | None:
    return Link.objects.filter(seq__isnull=False).order_by("-seq").first()


def head_of_chain() -> dict:
    """`{"seq", "hash", "at"}` of the last link: what HR publishes (seq 0 for an empty chain)."""
    head = chain_head()
    if head is None:
        return {"seq": 0, "hash": GENESIS, "at": None}
    return {"seq": head.seq, "hash": head.hash, "at": head.at}


def record_erased(instance: ChainedRecord, values: dict) -> Erasure:
    """Mark an audited row as about to be rewritten on purpose (a member's erasure, retention):
    call it inside the transaction that rewrites the row, BEFORE the rewrite, with the new
    `values` of its erasable columns (audit.content.ERASABLE; any other column, or a change to
    anything in them but their personal leaves, audit.content.PERSONAL_LEAVES: ValueError).
    Appends an `Erasure` (itself an audit row, in the chain) holding the sha256 of the erasable
    columns before and after: `audit_verify` then checks the row's other columns against its
    link and its erasable columns against the hash after. A row may be erased more than once
    (one Erasure each, the next starting where the last ended)."""
    if isinstance(instance, Erasure) or not isinstance(instance, ChainedRecord):
        raise TypeError(f"{type(instance).__name__} rows are not audit rows that may be erased.")
    model, label = type(instance), instance._meta.label_lower
    refused = sorted(set(values) - set(erasable_fields(label)))
    if refused or not values:
        allowed = ", ".join(erasable_fields(label)) or "nothing"
        raise ValueError(
            f"An erasure of a {label} row rewrites only {allowed}; "
            f"not {', '.join(refused) or 'nothing'}."
        )
    if not connection.in_atomic_block:
        raise transaction.TransactionManagementError(
            "record_erased belongs in the transaction that rewrites the row."
        )
    before, after = erasable_values(model, instance), erasable_values(model, instance, values)
    row = row_content(model, instance)["row"]
    if erasable_masked(label, before, row) != erasable_masked(label, after, row):
        raise ValueError(
            f"An erasure of a {label} row rewrites only names and free text (its personal "
            "leaves, audit.content.PERSONAL_LEAVES); this one changes something else."
        )
    link = Link.objects.get(audited=label, row_id=instance.pk)
    # No check of the row against its link here: a row changed around the chain before its
    # erasure still fails audit_verify (the hash before is the row's, not its link's).
    return Erasure.objects.create(
        link=link,
        route=current_route(),
        before_sha256=erasable_digest(before),
        after_sha256=erasable_digest(after),
    )


def links_append_missing(*, batch: int = BATCH) -> int:
    """Link the audit rows written around the chain (a bulk load by COPY: bench/seed.py) after
    the head, table by table in id order, under the chain's lock; the number linked."""
    linked = 0
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK])
        head = chain_head()
        seq, prev = (head.seq or 0, head.hash or GENESIS) if head else (0, GENESIS)
        for label, model in sorted(chained_models().items()):
            have = Link.objects.filter(audited=label).values("row_id")
            rows = model._base_manager.exclude(pk__in=have).order_by("pk")
            links = []
            for row in rows.iterator(chunk_size=batch):
                digest = content_digest(row_content(model, row))
                seq, prev, previous = seq + 1, link_hash(prev, digest), prev
                links.append(
                    Link(
                        seq=seq,
                        audited=label,
                        row_id=row.pk,
                        content_sha256=digest,
                        prev_hash=previous,
                        hash=prev,
                    )
                )
                if len(links) == batch:
                    linked += len(Link.objects.bulk_create(links))
                    links = []
            linked += len(Link.objects.bulk_create(links))
    return linked


@dataclass(frozen=True)
class Checked:
    rows: int
    erased: int  # erasure markings (Erasure rows) of the chained rows
    head: str


def _links() -> Iterator[list[Link]]:
    last = 0
    while True:
        batch = list(Link.objects.filter(seq__gt=last).order_by("seq")[:BATCH])
        if not batch:
            return
        yield batch
        last = batch[-1].seq or 0


def _rows_of(batch: list[Link], models: dict) -> dict[tuple[str, int], object]:
    wanted: dict[str, list[int]] = {}
    for link in batch:
        if link.audited in models:
            wanted.setdefault(link.audited, []).append(link.row_id)
    return {
        (label, row.pk): row
        for label, ids in wanted.items()
        for row in models[label]._base_manager.filter(pk__in=ids)
    }


def _problem(link: Link, prev: str, row, rewrites: list, models: dict) -> str:
    if link.prev_hash != prev:
        return "prev_hash is not the previous link's hash (links removed, added or reordered)"
    if link.hash != link_hash(link.prev_hash or "", link.content_sha256):
        return "hash is not sha256(prev_hash + content_sha256)"
    if link.audited not in models:
        return "names no audited table"
    if row is None:
        return "the audited row is missing (deleted)"
    content = row_content(models[link.audited], row)
    if rewrites:
        return erased_problem(content, link.content_sha256 or "", rewrites)
    if link.content_sha256 != content_digest(content):
        return "the row's content does not match its content hash (changed)"
    return ""


def chain_check(*, published: tuple[int, str] | None = None) -> Checked:
    """Walk the chain from seq 1, in batches; raise ChainBroken at the first broken link, then
    for a link never sealed or an audit row without a link, then when the chain no longer holds
    a head published earlier (`published`: its seq and hash)."""
    models = chained_models()
    expected, prev, erased = 1, GENESIS, 0
    for batch in _links():
        rows = _rows_of(batch, models)
        rewrites: dict[int, list[tuple[str, str]]] = {}
        for link_id, before, after in (
            Erasure.objects.filter(link__in=[link.pk for link in batch])
            .order_by("id")
            .values_list("link_id", "before_sha256", "after_sha256")
        ):
            rewrites.setdefault(link_id, []).append((before, after))
        for link in batch:
            if link.seq != expected:
                raise ChainBroken(
                    f"seq {expected}: missing (the chain goes on at seq {link.seq}, "
                    f"{link.audited} row {link.row_id})"
                )
            row = rows.get((link.audited, link.row_id))
            problem = _problem(link, prev, row, rewrites.get(link.pk, []), models)
            if problem:
                raise ChainBroken(f"seq {link.seq}, {link.audited} row {link.row_id}: {problem}")
            if published and link.seq == published[0] and link.hash != published[1]:
                raise ChainBroken(
                    f"seq {link.seq}, {link.audited} row {link.row_id}: not the head published "
                    "(the chain up to it was rewritten)"
                )
            erased += len(rewrites.get(link.pk, []))  # markings, not rows
            expected, prev = expected + 1, link.hash or ""
    if published and published[0] >= expected:
        raise ChainBroken(f"seq {published[0]}: the published head is gone (the chain is shorter)")
    _check_complete(models)
    return Checked(rows=expected - 1, erased=erased, head=prev)


def _check_complete(models: dict) -> None:
    unsealed = Link.objects.filter(seq__isnull=True).order_by("id").first()
    if unsealed is not None:
        raise ChainBroken(
            f"{unsealed.audited} row {unsealed.row_id}: its link was never given a place "
            "(written with the chain's trigger disabled)"
        )
    for label, model in sorted(models.items()):
        linked = Link.objects.filter(audited=label).values("row_id")
        orphan = model._base_manager.exclude(pk__in=linked).order_by("pk").first()
        if orphan is not None:
            raise ChainBroken(f"{label} row {orphan.pk}: has no link (written around the chain)")
