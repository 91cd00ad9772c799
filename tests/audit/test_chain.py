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
from django.utils import timezone

from audit.chain import chained_models, links_append_missing, record_erased
from audit.content import (
    GENESIS,
    content_digest,
    erasable_digest,
    erasable_values,
    link_hash,
    row_content,
)
from audit.models import ChainedRecord, ConfigChange, Erasure, Link
from audit.services import config_change_record
from core.records import AppendOnlyModel, append_only_lifted
from ladder import erasure
from ladder.erasure import rewrite_audited
from ladder.models import Level, MemberChange
from ladder.services import member_change_record, member_changes_record, member_update
from promotions.delegations import services as delegations
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
    record_erased(ConfigChange.objects.first(), {"changes": {}})  # rewritten to what it was
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

    record_erased(change, {"changes": {"first_name": "ERASED"}})  # `change` as it was
    change.changes = {"first_name": "ERASED"}
    seal()
    code, said = verify()
    assert code == 0
    assert said.startswith(f"OK {Link.objects.count()} rows, head ")
    assert "(1 erased)" in said
    # Erased again (another member's erasure): the second rewrite starts where the first ended.
    rewrite_audited(change, trigger="member_change_append_only", changes={"first_name": "X"})
    seal()
    assert Erasure.objects.filter(link=link).count() == 2
    assert "(2 erased)" in verify()[1]  # markings are counted, not rows
    with pytest.raises(TypeError):
        record_erased(Erasure.objects.first(), {})
    with pytest.raises(ValueError, match="rewrites only changes; not user_id"):
        record_erased(change, {"user_id": hr.pk, "changes": {}})


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


# --- Erasure: only the erasable columns, checked still -----------------------------------------


def _decision():
    """A rejection (with the decider's note), sealed, and its link."""
    promotion = factories.promotion(state="rejected", note="Not yet.")
    event = PromotionEvent.objects.get(promotion=promotion, to_state="rejected")
    seal()
    return event, Link.objects.get(audited="promotions.promotionevent", row_id=event.pk)


def _forge_approval(event) -> None:
    """The reviewer's attack: the rejection's row turned into an approval through SQL, and an
    erasure marking forged for it (hashes computed as anyone can: no key)."""
    before = erasable_digest(erasable_values(PromotionEvent, event))
    after = erasable_digest(erasable_values(PromotionEvent, event, {"note": "Forged"}))
    _sql("ALTER TABLE promotions_promotionevent DISABLE TRIGGER ALL")
    _sql(
        "UPDATE promotions_promotionevent SET to_state = 'approved', note = 'Forged' WHERE id = %s",
        event.pk,
    )
    link = Link.objects.get(audited="promotions.promotionevent", row_id=event.pk)
    Erasure.objects.create(link=link, route="system", before_sha256=before, after_sha256=after)
    seal()


def _erase_then(statement: str):
    def tamper(event) -> None:
        rewrite_audited(event, trigger="promotion_event_append_only", note="Removed.")
        seal()
        assert "(1 erased)" in verify()[1]  # a legitimate erasure verifies
        _sql("ALTER TABLE promotions_promotionevent DISABLE TRIGGER ALL")
        _sql(f"UPDATE promotions_promotionevent SET {statement} WHERE id = %s", event.pk)

    return tamper


ERASED_ROW_TAMPERING = {
    "forged erasure, rejection made an approval": (_forge_approval, "does not match its content"),
    "erased row's note edited": (_erase_then("note = 'Edited'"), "not what its last erasure"),
    "erased row's actor changed": (_erase_then("actor_id = NULL"), "does not match its content"),
}


@pytest.mark.services
@pytest.mark.parametrize("tampering", ERASED_ROW_TAMPERING)
def test_an_erasure_covers_only_the_erasable_columns_and_only_what_it_wrote(tampering):
    event, link = _decision()
    with pytest.raises(ValueError, match="rewrites only note, votes; not to_state"):
        record_erased(event, {"to_state": "approved"})
    tamper, problem = ERASED_ROW_TAMPERING[tampering]
    tamper(event)
    code, said = verify()
    assert code == 1
    assert said.startswith(f"BROKEN seq {link.seq}, promotions.promotionevent row {event.pk}: ")
    assert problem in said, said


def _forge(row, trigger: str, **values) -> None:
    """The reviewer's attack on an erasable column: rewritten through SQL with an erasure
    marking forged for it (hashes computed as anyone can)."""
    model = type(row)
    before = erasable_digest(erasable_values(model, row))
    after = erasable_digest(erasable_values(model, row, values))
    with append_only_lifted(model, trigger):
        model._base_manager.filter(pk=row.pk).update(**values)
    link = Link.objects.get(audited=model._meta.label_lower, row_id=row.pk)
    Erasure.objects.create(link=link, route="system", before_sha256=before, after_sha256=after)
    seal()


def _votes_approve(event) -> tuple:
    votes = [{**vote, "decision": "approve"} for vote in event.votes]
    return event, "promotion_event_append_only", {"votes": votes}


def _config_value_undone(_) -> tuple:
    level = Level.objects.first()
    hr = factories.hr_user()
    changed = config_change_record(
        actor=hr,
        action="changed",
        target=level,
        changes={"blind_review": {"from": False, "to": True}},
    )
    undone = {"blind_review": {"from": False, "to": False}}
    return changed, "config_change_append_only", {"changes": undone}


@pytest.mark.services
@pytest.mark.parametrize("forged", [_votes_approve, _config_value_undone])
def test_a_forged_marking_changing_more_than_names_and_free_text_is_named(forged):
    promotion = factories.promotion(
        state="rejected", votes=[(factories.committee_member(), "reject")]
    )
    event = PromotionEvent.objects.get(promotion=promotion, to_state="rejected")
    assert [vote["decision"] for vote in event.votes] == ["reject"]
    row, trigger, values = forged(event)
    seal()
    with pytest.raises(ValueError, match="personal leaves"):
        rewrite_audited(row, trigger=trigger, **values)
    _forge(row, trigger, **values)
    link = Link.objects.get(audited=row._meta.label_lower, row_id=row.pk)
    code, said = verify()
    assert code == 1
    assert said.startswith(f"BROKEN seq {link.seq}, {row._meta.label_lower} row {row.pk}: "), said


@pytest.mark.services
def test_an_erasure_of_names_verifies_and_each_marking_is_counted():
    hr = factories.hr_user()
    voter = factories.committee_member(username="voter-7q", level="pm")
    other = factories.committee_member(username="other-7q")
    promotion = factories.promotion(state="rejected", votes=[(voter, "reject")])
    today = timezone.localdate()
    delegations.delegation_create(
        actor=voter, delegator=voter, delegate=other, starts_on=today, ends_on=today
    )
    member_change_record(
        actor=hr, user=voter, changes={"first_name": {"from": "", "to": "Vera"}}, route="api"
    )
    member = member_update(actor=hr, member=voter.member, changes={"is_active": False}, route="api")
    erasure.member_erase(actor=hr, member=member)
    seal()
    pseudonym = f"erased-{member.pk}"
    event = PromotionEvent.objects.get(promotion=promotion, to_state="rejected")
    assert [(v["reviewer"], v["decision"]) for v in event.votes] == [(pseudonym, "reject")]
    named = MemberChange.objects.get(user=voter, changes__has_key="first_name")
    assert named.changes["first_name"] == {"from": "", "to": erasure.ERASED}
    delegated = ConfigChange.objects.get(target_type="promotions.delegation")
    assert delegated.changes["delegator"]["to"] == pseudonym
    markings = Erasure.objects.count()
    assert markings >= 3
    code, said = verify()
    assert (code, f"({markings} erased)" in said) == (0, True), said
    # A forged marking that renames a reviewer again changes a personal leaf only: it verifies,
    # and the count shows one more marking than erasures and retention ran.
    votes = [{**vote, "reviewer": "someone"} for vote in event.votes]
    _forge(event, "promotion_event_append_only", votes=votes)
    code, said = verify()
    assert (code, f"({markings + 1} erased)" in said) == (0, True), said


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


@pytest.mark.services
def test_an_export_checks_an_erased_row_as_the_database_check_does(tmp_path):
    decided = factories.held_decision(note="Decided.")
    event = PromotionEvent.objects.get(promotion=decided, to_state="approved")
    rewrite_audited(event, trigger="promotion_event_append_only", note="Removed.")
    seal()
    path = tmp_path / "bundle.json"

    def exported() -> tuple[int, str]:
        call_command("audit_export", "--cycle", str(decided.cycle_id), str(path), stdout=StringIO())
        return verify("--bundle", str(path))

    code, said = exported()
    assert (code, said.endswith(" (1 erased)\n")) == (0, True), said
    seq = Link.objects.get(audited="promotions.promotionevent", row_id=event.pk).seq
    _sql("ALTER TABLE promotions_promotionevent DISABLE TRIGGER ALL")
    _sql("UPDATE promotions_promotionevent SET to_state = 'rejected' WHERE id = %s", event.pk)
    code, said = exported()
    assert code == 1
    assert said.startswith(f"BROKEN seq {seq}, promotions.promotionevent row {event.pk}: "), said
    assert "does not match its content hash" in said


@pytest.mark.services
def test_an_export_names_a_forged_marking_that_changed_a_vote(tmp_path):
    decided = factories.held_decision()
    event = PromotionEvent.objects.get(promotion=decided, to_state="approved")
    assert {vote["decision"] for vote in event.votes} == {"approve"}
    seal()
    _forge(
        event,
        "promotion_event_append_only",
        votes=[{**vote, "decision": "reject"} for vote in event.votes],
    )
    path = tmp_path / "bundle.json"
    call_command("audit_export", "--cycle", str(decided.cycle_id), str(path), stdout=StringIO())
    code, said = verify("--bundle", str(path))
    seq = Link.objects.get(audited="promotions.promotionevent", row_id=event.pk).seq
    assert code == 1
    assert said.startswith(f"BROKEN seq {seq}, promotions.promotionevent row {event.pk}: "), said


# --- Erasure renames a person only where the configuration names them -----------------------


def test_erasing_a_member_named_like_a_track_leaves_the_cycles_audit_rows_alone():
    hr = factories.hr_user()
    seat = factories.committee_member(username="ic", level="pm")
    other = factories.committee_member(username="delegate-2c9")
    cycle = factories.draft_cycle(hr, name="Plan", tracks=["ic"])
    today = timezone.localdate()
    delegations.delegation_create(
        actor=seat, delegator=seat, delegate=other, starts_on=today, ends_on=today
    )
    member = member_update(actor=hr, member=seat.member, changes={"is_active": False}, route="api")
    erasure.member_erase(actor=hr, member=member)
    pseudonym = f"erased-{member.pk}"
    planned = ConfigChange.objects.get(target_type="promotions.cycle", target_id=str(cycle.pk))
    assert planned.changes["tracks"] == {"from": None, "to": ["ic"]}
    delegated = ConfigChange.objects.get(target_type="promotions.delegation")
    assert delegated.target.startswith(f"{pseudonym} → delegate-2c9 (")
    assert delegated.changes["delegator"]["to"] == pseudonym
    assert delegated.changes["delegate"]["to"] == "delegate-2c9"
    erased = set(Erasure.objects.values_list("link__audited", "link__row_id"))
    assert ("audit.configchange", delegated.pk) in erased
    assert ("audit.configchange", planned.pk) not in erased
    seal()
    assert verify()[0] == 0
