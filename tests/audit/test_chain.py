"""The audit chain (docs/audit.md): every audit row gets one link in its own transaction, writers
at once make one unbroken chain, and audit_verify names the first row an attacker with the
database changed, deleted or reordered. An erased row keeps its stored hash; an export checks
offline."""

import json
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

from audit.chain import chained_models, links_append_missing, record_erased
from audit.content import GENESIS, content_digest, link_hash, row_content
from audit.models import ChainedRecord, ConfigChange, Erasure, Link
from audit.services import config_change_record
from core.records import AppendOnlyModel, append_only_lifted
from ladder.models import Level, MemberChange
from ladder.services import member_change_record, member_changes_record
from promotions.models import PacketVersion, PromotionEvent
from tests import factories
from tests.concurrency import at_once

pytestmark = pytest.mark.django_db

# Append-only tables that are not audit rows, and why.
NOT_AUDIT_ROWS = {
    Link: "the chain itself",
    PacketVersion: "a packet's content (hashed in its own row); its submission is an event",
}


def verify(*args) -> tuple[int, str]:
    out = StringIO()
    try:
        call_command("audit_verify", *args, stdout=out)
    except CommandError as error:
        return error.returncode, str(error)
    return 0, out.getvalue()


def seal() -> None:
    """What COMMIT does on PostgreSQL: seal the links the test's transaction appended."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def test_every_append_only_audit_table_is_chained():
    tables = [model for model in apps.get_models() if issubclass(model, AppendOnlyModel)]
    unchained = [
        model.__name__
        for model in tables
        if model not in NOT_AUDIT_ROWS and not issubclass(model, ChainedRecord)
    ]
    assert not unchained, f"audit tables outside the chain: {unchained}"
    assert {"promotions.promotionevent", "ladder.levelchange", "ladder.memberchange"} <= set(
        chained_models()
    )


def test_every_kind_of_audit_row_gets_its_link_and_a_rollback_leaves_none():
    hr = factories.hr_user()
    factories.promotion(state="approved")  # events and a level change
    member_change_record(
        actor=hr, user=hr, changes={"groups": {"from": [], "to": ["HR"]}}, route="api"
    )
    member_changes_record(
        actor=hr, changes={hr.pk: {"email": {"from": "", "to": "a@b.c"}}}, route="api"
    )
    config_change_record(actor=hr, action="changed", target=Level.objects.first(), changes={})
    record_erased(ConfigChange.objects.first())
    with pytest.raises(RuntimeError), transaction.atomic():
        config_change_record(actor=hr, action="changed", target=Level.objects.first())
        raise RuntimeError("rolled back")
    seal()
    for label, model in chained_models().items():
        rows = set(model.objects.values_list("pk", flat=True))
        assert rows, f"no {label} row written"
        assert set(Link.objects.filter(audited=label).values_list("row_id", flat=True)) == rows
    assert list(Link.objects.order_by("seq").values_list("seq", flat=True)) == list(
        range(1, Link.objects.count() + 1)
    )
    assert verify()[0] == 0


def test_an_erased_row_keeps_its_stored_hash_and_an_unmarked_rewrite_breaks_the_chain():
    hr = factories.hr_user()
    change = member_change_record(
        actor=hr, user=hr, changes={"first_name": {"from": "", "to": "Ann"}}, route="api"
    )
    seal()
    link = Link.objects.get(audited="ladder.memberchange", row_id=change.pk)
    with append_only_lifted(MemberChange, "member_change_append_only"):
        MemberChange._base_manager.filter(pk=change.pk).update(changes={"first_name": "ERASED"})
    code, said = verify()
    assert code == 1
    assert f"seq {link.seq}, ladder.memberchange row {change.pk}: the row's content" in said

    record_erased(change)
    assert record_erased(change) == Erasure.objects.get(link=link)  # once, however often asked
    seal()
    code, said = verify()
    assert code == 0
    assert said.startswith(f"OK {Link.objects.count()} rows, head ")
    assert "(1 erased)" in said
    with pytest.raises(TypeError):
        record_erased(Erasure.objects.get())


# --- An attacker with the database, triggers disabled -------------------------------------------


def _sql(statement: str, *params) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def _swap(a: int, b: int) -> None:
    _sql("UPDATE audit_link SET seq = -1 WHERE seq = %s", a)
    _sql("UPDATE audit_link SET seq = %s WHERE seq = %s", a, b)
    _sql("UPDATE audit_link SET seq = %s WHERE seq = -1", b)


TAMPERING = {
    "row changed": (
        lambda row: _sql("UPDATE audit_configchange SET action = 'deleted' WHERE id = %s", row),
        "the row's content does not match",
    ),
    "row deleted": (
        lambda row: _sql("DELETE FROM audit_configchange WHERE id = %s", row),
        "the audited row is missing",
    ),
    "link deleted": (
        lambda row: _sql(
            "DELETE FROM audit_link WHERE audited = 'audit.configchange' AND row_id = %s", row
        ),
        "missing (the chain goes on at seq",
    ),
    "links reordered": (
        lambda row: _swap(
            *Link.objects.filter(row_id__gte=row, audited="audit.configchange")
            .order_by("seq")
            .values_list("seq", flat=True)[:2]
        ),
        "prev_hash is not the previous link's hash",
    ),
    "link hash changed": (
        lambda row: _sql(
            "UPDATE audit_link SET hash = repeat('a', 64)"
            " WHERE row_id = %s AND audited = 'audit.configchange'",
            row,
        ),
        "hash is not sha256(prev_hash + content_sha256)",
    ),
}


@pytest.mark.services
@pytest.mark.parametrize("tampering", TAMPERING)
def test_tampering_is_named_at_the_first_broken_row(tampering):
    level = Level.objects.first()
    changes = [
        config_change_record(actor=None, action="changed", target=level, changes={"n": n})
        for n in range(5)
    ]
    seal()
    assert verify()[0] == 0
    target = changes[2]
    seq = Link.objects.get(audited="audit.configchange", row_id=target.pk).seq
    tamper, problem = TAMPERING[tampering]
    for table in ("audit_link", "audit_configchange"):
        _sql(f"ALTER TABLE {table} DISABLE TRIGGER ALL")
    tamper(target.pk)
    code, said = verify()
    assert code == 1
    assert said.startswith(f"BROKEN seq {seq}"), said
    assert problem in said
    named = {"link deleted": changes[3], "links reordered": changes[3]}.get(tampering, target)
    assert f"audit.configchange row {named.pk}" in said  # at that seq now


@pytest.mark.services
def test_a_row_written_around_the_chain_is_named():
    level = Level.objects.first()
    config_change_record(actor=None, action="changed", target=level)
    seal()
    bulk = ConfigChange._base_manager.bulk_create(
        [ConfigChange(route="system", action="x", target_type="t", target_id="1", target="t")]
    )
    code, said = verify()
    assert (code, said) == (
        1,
        f"BROKEN audit.configchange row {bulk[0].pk}: has no link (written around the chain)",
    )
    assert links_append_missing() == 1  # what a bulk load by COPY then runs (bench/seed.py)
    assert verify()[0] == 0


@pytest.mark.services
def test_a_whole_rewritten_chain_is_caught_against_a_head_published_before():
    level = Level.objects.first()
    changes = [config_change_record(actor=None, action="changed", target=level) for _ in range(3)]
    seal()
    head = Link.objects.order_by("-seq").first()
    for table in ("audit_link", "audit_configchange"):
        _sql(f"ALTER TABLE {table} DISABLE TRIGGER ALL")
    _sql("UPDATE audit_configchange SET action = 'deleted' WHERE id = %s", changes[0].pk)
    previous = GENESIS
    for link in Link.objects.order_by("seq"):  # the attacker recomputes every hash
        row = ConfigChange.objects.filter(pk=link.row_id).first()
        digest = content_digest(row_content(ConfigChange, row)) if row else link.content_sha256
        previous, prev = link_hash(previous, digest), previous
        _sql(
            "UPDATE audit_link SET content_sha256 = %s, prev_hash = %s, hash = %s WHERE id = %s",
            digest,
            prev,
            previous,
            link.pk,
        )
    assert verify()[0] == 0  # consistent again: only an earlier head tells
    code, said = verify("--head", f"{head.seq}:{head.hash}")
    assert code == 1
    assert said.startswith(
        f"BROKEN seq {head.seq}, audit.configchange row {changes[2].pk}: not the"
    )
    assert verify("--head", "12:short")[0] == 1


def test_hr_reads_the_head_and_nobody_else_does(client):
    hr = factories.hr_user()
    config_change_record(actor=hr, action="changed", target=Level.objects.first())
    seal()
    head = Link.objects.order_by("-seq").first()
    client.force_login(hr)
    body = client.get("/api/v1/audit/head/").json()
    assert (body["seq"], body["hash"]) == (head.seq, head.hash)
    assert body["at"]
    client.force_login(factories.committee_member())
    assert client.get("/api/v1/audit/head/").json()["code"] == "hr_only"


# --- Writers at once --------------------------------------------------------------------------


@pytest.mark.services
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_twenty_writers_at_once_make_one_unbroken_chain():
    hr = factories.hr_user()
    level = Level.objects.first()

    def write(n: int):
        def audited_writes():
            with transaction.atomic():
                config_change_record(actor=hr, action="changed", target=level, changes={"n": n})
                member_change_record(
                    actor=hr, user=hr, changes={"n": {"from": n, "to": n + 1}}, route="api"
                )

        return audited_writes

    at_once(*(write(n) for n in range(20)))
    audit_rows = sum(model.objects.count() for model in chained_models().values())
    assert audit_rows >= 40
    assert list(Link.objects.order_by("seq").values_list("seq", flat=True)) == list(
        range(1, audit_rows + 1)
    )
    code, said = verify()
    assert (code, said.split(",")[0]) == (0, f"OK {audit_rows} rows")


# --- The export, checked offline --------------------------------------------------------------


@pytest.fixture
def bundle(tmp_path):
    decided = factories.held_decision()
    seal()
    path = tmp_path / "bundle.json"
    call_command("audit_export", "--cycle", str(decided.cycle_id), str(path), stdout=StringIO())
    return path


def test_an_export_verifies_offline_and_refuses_a_changed_byte_or_another_key(bundle, settings):
    data = json.loads(bundle.read_text())
    assert data["subject"]["decisions"][0]["decision"] == "approved"
    events = PromotionEvent.objects.filter(promotion__cycle=data["subject"]["cycle"]["id"])
    assert sorted(link["row_id"] for link in data["links"]) == sorted(e.pk for e in events)
    with connection.execute_wrapper(_no_database):
        assert verify("--bundle", str(bundle)) == (
            0,
            f"OK {len(data['links'])} rows, head {data['head']['hash']}\n",
        )
        settings.AUDIT_SIGNING_KEY = "another key"
        code, said = verify("--bundle", str(bundle))
        assert (code, said) == (
            1,
            "BROKEN the signature does not match: changed, or signed with another key",
        )
        settings.AUDIT_SIGNING_KEY = ""
        text = bundle.read_text()
        assert '"to_state": "approved"' in text
        bundle.write_text(text.replace('"to_state": "approved"', '"to_state": "approvec"', 1))
        code, said = verify("--bundle", str(bundle))
        assert code == 1
        assert "the row's content does not match its content hash" in said


def _no_database(execute, sql, params, many, context):
    raise AssertionError(f"the offline check queried the database: {sql}")
