import pgtrigger
from django.conf import settings
from django.db import connections, models, router, transaction
from django.utils import timezone

from audit.content import GENESIS, content_digest, row_content
from core.records import AppendOnlyModel, AppendOnlyQuerySet, append_only_trigger

# PostgreSQL seals a link at COMMIT (a deferred constraint trigger): the chain's lock is taken
# as late as a transaction can take it, after every row lock it needed, so it never waits on
# the chain while holding a row another writer waits on before reaching the chain (a deadlock
# when the lock was taken at the audited row's INSERT). Whoever holds the lock waits on nothing.
# The advisory-lock key that serializes the sealing (an arbitrary key of our own).
CHAIN_LOCK = 7_260_426
SEAL_SQL = """
    PERFORM pg_advisory_xact_lock(CHAIN_LOCK);
    SELECT seq, hash INTO last_seq, last_hash FROM audit_link
        WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1;
    last_hash := COALESCE(last_hash, repeat('0', 64));
    UPDATE audit_link SET seq = COALESCE(last_seq, 0) + 1, prev_hash = last_hash,
        hash = encode(sha256(convert_to(last_hash || NEW.content_sha256, 'UTF8')), 'hex')
        WHERE id = NEW.id;
    RETURN NULL;
""".replace("CHAIN_LOCK", str(CHAIN_LOCK))

# SQLite (the zero-setup default) takes its write lock at BEGIN: the link is appended whole in
# one INSERT at the row's save, its hash by Django's SHA256 function for SQLite.
SQLITE_APPEND_SQL = """
    INSERT INTO audit_link (seq, audited, row_id, content_sha256, prev_hash, hash, at)
    SELECT COALESCE(head.seq, 0) + 1, %s, %s, %s, COALESCE(head.hash, %s),
        SHA256(COALESCE(head.hash, %s) || %s), %s
    FROM (SELECT 1) AS one
    LEFT JOIN (SELECT seq, hash FROM audit_link ORDER BY seq DESC LIMIT 1) AS head ON 1
"""


class Link(AppendOnlyModel):
    """One link of the audit chain: an audited row (its table and id) and the sha256 of its
    content (audit/content.py), chained: `hash` = sha256(`prev_hash` + `content_sha256`), `seq`
    from 1 without gaps. On PostgreSQL a link is inserted with the audited row and sealed (seq,
    prev_hash, hash) when its transaction commits; then never updated or deleted."""

    seq = models.BigIntegerField(null=True, unique=True)  # null until sealed at commit
    audited = models.CharField(max_length=100)  # the audited model's label, "app.model"
    row_id = models.BigIntegerField()
    content_sha256 = models.CharField(max_length=64)
    prev_hash = models.CharField(max_length=64, null=True)
    hash = models.CharField(max_length=64, null=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["seq"]
        constraints = [
            models.UniqueConstraint(fields=["audited", "row_id"], name="one_link_per_audited_row")
        ]
        triggers = [
            pgtrigger.Protect(name="link_never_deleted", operation=pgtrigger.Delete),
            # Sealing is the one update: a pending link gets its place, nothing else changes.
            pgtrigger.Protect(
                name="link_sealed_once",
                operation=pgtrigger.Update,
                condition=pgtrigger.Condition(
                    "OLD.seq IS NOT NULL OR NEW.seq IS NULL"
                    " OR NEW.audited IS DISTINCT FROM OLD.audited"
                    " OR NEW.row_id IS DISTINCT FROM OLD.row_id"
                    " OR NEW.content_sha256 IS DISTINCT FROM OLD.content_sha256"
                    " OR NEW.at IS DISTINCT FROM OLD.at"
                ),
            ),
            pgtrigger.Trigger(
                name="link_seal",
                when=pgtrigger.After,
                operation=pgtrigger.Insert,
                timing=pgtrigger.Deferred,
                condition=pgtrigger.Q(new__seq__isnull=True),
                declare=[("last_seq", "bigint"), ("last_hash", "varchar(64)")],
                func=SEAL_SQL,
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.audited} {self.row_id}"


def links_append(model: type[models.Model], rows: list) -> None:
    """Append a link for each of these rows, just written, of a chained model: one INSERT."""
    rows = [row for row in rows if row.pk is not None]  # a conflict skipped by bulk_create
    if not rows:
        return
    label = model._meta.label_lower
    digests = [(row.pk, content_digest(row_content(model, row))) for row in rows]
    connection = connections[router.db_for_write(model)]
    if connection.vendor != "sqlite":
        Link.objects.using(connection.alias).bulk_create(
            [Link(audited=label, row_id=pk, content_sha256=digest) for pk, digest in digests]
        )
        return
    with connection.cursor() as cursor:
        for pk, digest in digests:
            cursor.execute(
                SQLITE_APPEND_SQL, [label, pk, digest, GENESIS, GENESIS, digest, timezone.now()]
            )


class ChainedQuerySet(AppendOnlyQuerySet):
    def bulk_create(self, objs, *args, **kwargs):
        with transaction.atomic(using=self.db, savepoint=False):
            created = super().bulk_create(objs, *args, **kwargs)
            links_append(self.model, created)
        return created


class ChainedRecord(AppendOnlyModel):
    """An audit row: appended, never changed, and linked into the audit chain in the same
    transaction (so a rolled-back change leaves no link and a committed one always has its
    link). Every audit table inherits this; `tests/audit/test_chain.py` walks the models."""

    objects = ChainedQuerySet.as_manager()  # type: ignore[misc]  # the base's, with links

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            return super().save(*args, **kwargs)  # refused, outside any transaction of ours
        using = kwargs.get("using") or router.db_for_write(type(self), instance=self)
        with transaction.atomic(using=using, savepoint=False):
            super().save(*args, **kwargs)
            links_append(type(self), [self])


class ConfigChange(ChainedRecord):
    """The audit trail of configuration: who created, changed, deleted or moved a cycle, a webhook
    endpoint, a level, a criterion or an allowed move, when, by which route, and the values before
    and after. Never updated or deleted. The target is named, not referred to: a deleted webhook
    endpoint keeps its record."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    route = models.CharField(max_length=20)  # api, admin, site, system (the scheduler, a command)
    action = models.CharField(max_length=30)
    target_type = models.CharField(max_length=60)  # the model's label, e.g. "webhooks.endpoint"
    target_id = models.CharField(max_length=40)
    target = models.CharField(max_length=200)  # what it was called at the time
    # {"field": {"from": old, "to": new}}; a secret is recorded as changed, never its value.
    changes = models.JSONField(default=dict)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["target_type", "target_id", "-at"], name="config_change_target_at")
        ]
        triggers = [append_only_trigger("config_change_append_only")]
        verbose_name = "change to the configuration"
        verbose_name_plural = "changes to the configuration"

    def __str__(self) -> str:
        who = self.actor or "the system"
        return f"{self.target} {self.action} by {who} at {self.at:%Y-%m-%d %H:%M}"


class Erasure(ChainedRecord):
    """An audited row's erasable columns (audit.content.ERASABLE: free text and names) rewritten
    on purpose (a member's erasure, the retention of free text), one row per rewrite: the sha256
    of those columns before and after it. `audit_verify` checks the row's other columns against
    its link with the hash before the first rewrite, and its erasable columns against the hash
    after the last (and counts these rows). Itself an audit row, in the chain."""

    link = models.ForeignKey(Link, on_delete=models.PROTECT, related_name="erasures")
    at = models.DateTimeField(default=timezone.now)
    route = models.CharField(max_length=20)
    # audit.content.erasable_digest of the erasable columns before and after this rewrite.
    before_sha256 = models.CharField(max_length=64)
    after_sha256 = models.CharField(max_length=64)

    class Meta:
        ordering = ["at", "id"]
        triggers = [append_only_trigger("erasure_append_only")]

    def __str__(self) -> str:
        return f"erased: {self.link}"
