# Issue 26: the audit chain. Its tables, then a link for every audit row already written, in a
# deterministic order (by time, then table, then id), so a database verifies right after migrating.

import heapq

import django.db.models.deletion
import django.utils.timezone
import pgtrigger.compiler
import pgtrigger.migrations
from django.db import migrations, models

from audit.content import GENESIS, content_digest, link_hash, row_content

# The audit tables as they stand at this migration, each with the time its rows are ordered by.
AUDITED = [
    ("promotions", "PromotionEvent", "at"),
    ("ladder", "LevelChange", "created_at"),
    ("ladder", "MemberChange", "at"),
    ("audit", "ConfigChange", "at"),
]
BATCH = 2000


def _rows(apps, rank: int, app_label: str, name: str, time_field: str):
    model = apps.get_model(app_label, name)
    for row in model.objects.order_by(time_field, "id").iterator(chunk_size=BATCH):
        yield (getattr(row, time_field), rank, row.id), model, row


def backfill(apps, schema_editor):
    Link = apps.get_model("audit", "Link")
    streams = [_rows(apps, rank, *audited) for rank, audited in enumerate(AUDITED)]
    previous, links = GENESIS, []
    for seq, (_key, model, row) in enumerate(heapq.merge(*streams, key=lambda r: r[0]), 1):
        digest = content_digest(row_content(model, row))
        link = Link(
            seq=seq,
            audited=model._meta.label_lower,
            row_id=row.id,
            content_sha256=digest,
            prev_hash=previous,
            hash=link_hash(previous, digest),
        )
        previous = link.hash
        links.append(link)
        if len(links) == BATCH:
            Link.objects.bulk_create(links)
            links = []
    Link.objects.bulk_create(links)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0002_hr_permissions"),
        ("promotions", "0017_data_rights"),
        ("ladder", "0014_data_rights"),
    ]

    operations = [
        migrations.CreateModel(
            name="Link",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("seq", models.BigIntegerField(null=True, unique=True)),
                ("audited", models.CharField(max_length=100)),
                ("row_id", models.BigIntegerField()),
                ("content_sha256", models.CharField(max_length=64)),
                ("prev_hash", models.CharField(max_length=64, null=True)),
                ("hash", models.CharField(max_length=64, null=True)),
                ("at", models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={
                "ordering": ["seq"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("audited", "row_id"), name="one_link_per_audited_row"
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="Erasure",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("at", models.DateTimeField(default=django.utils.timezone.now)),
                ("route", models.CharField(max_length=20)),
                (
                    "link",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="erasure",
                        to="audit.link",
                    ),
                ),
            ],
            options={
                "ordering": ["at", "id"],
            },
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="link",
            trigger=pgtrigger.compiler.Trigger(
                name="link_never_deleted",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func="RAISE EXCEPTION 'pgtrigger: Cannot delete rows from % table', TG_TABLE_NAME;",
                    hash="f114d57682b0c4eb4af7cf63830fdc94e4d9d55a",
                    operation="DELETE",
                    pgid="pgtrigger_link_never_deleted_3e4dc",
                    table="audit_link",
                    when="BEFORE",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="link",
            trigger=pgtrigger.compiler.Trigger(
                name="link_sealed_once",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (OLD.seq IS NOT NULL OR NEW.seq IS NULL OR NEW.audited IS DISTINCT FROM OLD.audited OR NEW.row_id IS DISTINCT FROM OLD.row_id OR NEW.content_sha256 IS DISTINCT FROM OLD.content_sha256 OR NEW.at IS DISTINCT FROM OLD.at)",
                    func="RAISE EXCEPTION 'pgtrigger: Cannot update rows from % table', TG_TABLE_NAME;",
                    hash="da34956a107f8bc9084dc0a05142643c31a18964",
                    operation="UPDATE",
                    pgid="pgtrigger_link_sealed_once_d09f3",
                    table="audit_link",
                    when="BEFORE",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="link",
            trigger=pgtrigger.compiler.Trigger(
                name="link_seal",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition='WHEN (NEW."seq" IS NULL)',
                    constraint="CONSTRAINT",
                    declare="DECLARE last_seq bigint; last_hash varchar(64);",
                    func="\n    PERFORM pg_advisory_xact_lock(7260426);\n    SELECT seq, hash INTO last_seq, last_hash FROM audit_link\n        WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1;\n    last_hash := COALESCE(last_hash, repeat('0', 64));\n    UPDATE audit_link SET seq = COALESCE(last_seq, 0) + 1, prev_hash = last_hash,\n        hash = encode(sha256(convert_to(last_hash || NEW.content_sha256, 'UTF8')), 'hex')\n        WHERE id = NEW.id;\n    RETURN NULL;\n",
                    hash="f90b6c54b7dd617b1c33f78e199b62e3066d6990",
                    operation="INSERT",
                    pgid="pgtrigger_link_seal_2f405",
                    table="audit_link",
                    timing="DEFERRABLE INITIALLY DEFERRED",
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="erasure",
            trigger=pgtrigger.compiler.Trigger(
                name="erasure_append_only",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func="RAISE EXCEPTION 'pgtrigger: Cannot update or delete rows from % table', TG_TABLE_NAME;",
                    hash="334887aad18889926b28fbb24f512a3cab50a5d7",
                    operation="UPDATE OR DELETE",
                    pgid="pgtrigger_erasure_append_only_b73a5",
                    table="audit_erasure",
                    when="BEFORE",
                ),
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
