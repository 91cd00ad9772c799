"""A member's data rights (docs/data-rights.md): the export holds what the member may read and
nothing they may not; HR's erasure refuses what it must and removes the person's data while
decisions and levels stay; retention removes the free text of old closed promotions, except
those on legal hold; the audit chain still verifies after both."""

import json
from datetime import timedelta
from io import StringIO

import pytest
from axes.models import AccessLog
from django.conf import settings
from django.contrib import admin as django_admin
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.utils import timezone
from freezegun import freeze_time
from rest_framework.test import APIClient

from audit.models import ConfigChange
from core import personal_data
from ladder import erasure, invitations
from ladder.imports import members_import
from ladder.models import LevelChange, Member, MemberChange
from ladder.selectors import level_next_levels
from ladder.services import member_update
from notifications.models import Notification
from promotions import retention, services, tasks
from promotions.delegations import services as delegations
from promotions.management.commands.demo import CYCLE_NAME
from promotions.models import (
    OPEN_STATES,
    NominationKey,
    PacketVersion,
    Promotion,
    PromotionEvent,
    Review,
)
from promotions.requests import services as nomination_requests
from tests import factories
from tests.accounts.scim import CORE_USER, ENTERPRISE, new_client

pytestmark = pytest.mark.django_db

COMMITTEE_NOTE = "committee-note-4f1: the committee's private reasons"
COMMENT = "review-comment-9b2: a reviewer's remark"
REQUEST_TEXT = "request-justification-6e4: why I am ready"


def client_of(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {factories.token_for(user)}")
    return client


def rejected_with_committee_work(candidate=None):
    """A rejected promotion with a reviewer's comment and the decider's note."""
    reviewer, decider = factories.committee_member(), factories.committee_member()
    promotion = factories.promotion(candidate=candidate, state="in_review")
    factories.review(promotion, reviewer, "reject", comment=COMMENT)
    promotion = services.promotion_reject(promotion=promotion, actor=decider, note=COMMITTEE_NOTE)
    return promotion, reviewer, decider


def deactivate(member: Member) -> Member:
    return member_update(
        actor=factories.hr_user(), member=member, changes={"is_active": False}, route="api"
    )


# --- Export ------------------------------------------------------------------------------------


def test_the_export_holds_what_the_member_may_read_and_nothing_they_may_not():
    promotion, reviewer, decider = rejected_with_committee_work()
    candidate = promotion.candidate
    manager = candidate.manager
    stranger = factories.promotion(justification="stranger-justification-3c7")
    held = factories.held_decision(note=COMMITTEE_NOTE)  # a decision held from its candidate

    response = client_of(candidate.user).get("/api/v1/members/me/export/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="pm-ladder-my-data-')
    data = response.json()
    text = json.dumps(data)
    assert data["member"]["username"] == candidate.user.username
    assert data["member"]["email"] == candidate.user.email
    [own] = data["promotions"]
    assert own["id"] == promotion.pk and own["state"] == "rejected"
    assert own["packet_versions"][0]["justification"] == factories.JUSTIFICATION
    assert [event["to_state"] for event in own["timeline"]] == [
        "nominated",
        "in_review",
        "rejected",
    ]
    for secret in (COMMITTEE_NOTE, COMMENT, reviewer.username, decider.username):
        assert secret not in text
    assert "stranger-justification-3c7" not in text and stranger.candidate.user.email not in text
    # Every app's registered section (analytics' demographics among them) has its key.
    assert {section.name for section in personal_data.sections()} <= set(data)

    # The manager's export: the nomination as its nominator reads it, the held decision as held.
    data = client_of(manager.user).get("/api/v1/members/me/export/").json()
    assert [n["id"] for n in data["nominations"]] == [promotion.pk]
    assert COMMITTEE_NOTE not in json.dumps(data) and reviewer.username not in json.dumps(data)
    held_view = client_of(held.candidate.user).get("/api/v1/members/me/export/").json()
    [case] = held_view["promotions"]
    assert case["state"] == "in_review" and case["decided_at"] is None
    assert COMMITTEE_NOTE not in json.dumps(held_view)


def test_the_export_is_for_members_only():
    assert client_of(factories.hr_user()).get("/api/v1/members/me/export/").status_code == 404
    assert APIClient().get("/api/v1/members/me/export/").status_code in (401, 403)


# --- Erasure: refusals ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "status", "code"),
    [
        ("active", 409, "member_active"),
        ("open_promotion", 409, "open_promotion"),
        ("not_hr", 403, "permission_denied"),
        ("erased", 409, "already_erased"),
        ("pseudonym_taken", 409, "username_taken"),
    ],
)
def test_erasure_refuses(case, status, code):
    hr = factories.hr_user()
    member, _ = factories.team()
    actor = hr
    if case == "open_promotion":
        factories.promotion(candidate=member)
        deactivate(member)
    elif case == "not_hr":
        deactivate(member)
        actor = factories.committee_member()
    elif case == "pseudonym_taken":  # an account named like the pseudonym, by hand
        deactivate(member)
        factories.UserFactory(username=f"Erased-{member.pk}")
    elif case == "erased":
        deactivate(member)
        assert client_of(hr).post(f"/api/v1/members/{member.pk}/erase/").status_code == 200
    response = client_of(actor).post(f"/api/v1/members/{member.pk}/erase/")
    assert response.status_code == status, response.content
    assert response.json()["code"] == code


# --- Erasure: effects ----------------------------------------------------------------------------


def test_erasure_removes_the_person_and_keeps_decisions_and_levels():
    promotion = factories.promotion(state="approved")
    member = Member.objects.select_related("user").get(pk=promotion.candidate_id)
    user = member.user
    username, email = user.username, user.email
    first, last = user.first_name, user.last_name
    hr = factories.hr_user()
    member_update(actor=hr, member=member, changes={"first_name": "Renamed"}, route="api")
    deactivate(member)
    assert Notification.objects.filter(recipient=user).exclude(body="").exists()

    response = client_of(hr).post(f"/api/v1/members/{member.pk}/erase/")
    assert response.status_code == 200, response.content
    assert response.json()["username"] == f"erased-{member.pk}"

    user = get_user_model().objects.get(pk=user.pk)
    assert (user.username, user.email, user.first_name, user.last_name) == (
        f"erased-{member.pk}",
        "",
        "",
        "",
    )
    assert not user.has_usable_password() and not user.is_active
    rows = json.dumps(
        list(MemberChange.objects.filter(user=user).values_list("changes", flat=True))
    )
    for value in (username, email, first, last, "Renamed"):
        assert value not in rows
    assert MemberChange.objects.filter(user=user, changes__erased__to=True).exists()
    assert not Notification.objects.filter(recipient=user).exclude(subject="", body="").exists()
    # What was decided stays.
    assert Promotion.objects.get(pk=promotion.pk).state == "approved"
    assert LevelChange.objects.filter(member=member, promotion=promotion).exists()
    assert Member.objects.get(pk=member.pk).level == promotion.to_level
    assert _audit_verify().startswith("OK")


def test_erasure_renames_the_person_in_other_audit_rows():
    """A committee member's delegation of their seat is audited with both usernames; a decision
    records the votes then on record with their reviewers' usernames."""
    seat = factories.committee_member(username="seat-holder-5e1", level="pm")
    other = factories.committee_member(username="delegate-7a3")
    today = timezone.localdate()
    delegations.delegation_create(
        actor=seat, delegator=seat, delegate=other, starts_on=today, ends_on=today
    )
    case = factories.promotion(state="in_review")
    factories.review(case, seat, "reject")
    services.promotion_reject(promotion=case, actor=factories.committee_member(), note="No.")
    member = deactivate(seat.member)
    erasure.member_erase(actor=factories.hr_user(), member=member)
    rows = json.dumps(list(ConfigChange.objects.values_list("target", "changes")))
    assert "seat-holder-5e1" not in rows
    assert f"erased-{member.pk}" in rows and "delegate-7a3" in rows
    [decision] = PromotionEvent.objects.filter(promotion=case, to_state="rejected")
    assert [vote["reviewer"] for vote in decision.votes] == [f"erased-{member.pk}"]
    assert _audit_verify().startswith("OK")


# --- Retention and legal hold --------------------------------------------------------------------


EIGHT_YEARS_AGO = timezone.now() - timedelta(days=365 * 8)


def test_retention_removes_old_text_keeps_held_and_recent_and_is_audited():
    with freeze_time(EIGHT_YEARS_AGO):
        old, _, _ = rejected_with_committee_work()
        held, _, _ = rejected_with_committee_work()
        open_case = factories.promotion(state="in_review", justification="still-open-8d1")
        # A case from a member's request, withdrawn: the request's message to the manager quoted
        # its justification before the promotion existed.
        asker, _ = factories.team()
        asked = nomination_requests.nomination_request_create(
            user=asker.user,
            to_level=level_next_levels(level=asker.level)[0],
            justification=REQUEST_TEXT,
            evidence=factories.evidence_for(level_next_levels(level=asker.level)[0]),
        )
        asked = nomination_requests.nomination_request_accept(
            request=asked, actor=asker.manager.user
        )
        services.promotion_withdraw(promotion=asked.promotion, actor=asker.manager.user, note="")
    assert Notification.objects.filter(promotion=None, body__contains=REQUEST_TEXT).exists()
    recent, _, _ = rejected_with_committee_work()
    hr = factories.hr_user()
    # The old case was held once (the hold cleared since), and nominated with an Idempotency-Key
    # whose record keeps the response sent.
    retention.promotion_legal_hold_set(actor=hr, promotion=old, reason="old-hold-reason-3c7")
    retention.promotion_legal_hold_clear(actor=hr, promotion=old)
    NominationKey.objects.create(
        user=old.nominated_by, key="k", request_hash="h", promotion=old, response={"id": old.pk}
    )
    response = client_of(hr).post(
        f"/api/v1/promotions/{held.pk}/legal-hold/",
        {"reason": "Tribunal claim 2031"},
        format="json",
    )
    assert response.status_code == 200 and response.json()["legal_hold"] is True
    assert ConfigChange.objects.filter(action="legal_hold_set", target_id=str(held.pk)).exists()

    # The beat task does it, once: a second run finds nothing due.
    beat = settings.CELERY_BEAT_SCHEDULE["promotions-retention"]
    assert beat["task"] == "promotions.tasks.promotions_retention"
    assert tasks.promotions_retention() == 2
    assert retention.promotions_retention_run() == 0

    old = Promotion.objects.get(pk=old.pk)
    assert old.text_removed_at is not None and old.justification == retention.REMOVED
    version = PacketVersion.objects.get(promotion=old, number=1)
    assert version.justification == retention.REMOVED and len(version.sha256) == 64
    assert all(item["text"] == retention.REMOVED for item in version.evidence)
    assert Review.objects.get(promotion=old).comment == retention.REMOVED
    assert not PromotionEvent.objects.filter(promotion=old, note=COMMITTEE_NOTE).exists()
    assert Review.objects.get(promotion=old).decision == "reject"  # the vote stays
    # The hold's reason reads the notice in its trail (the held case's keeps its own).
    trail = ConfigChange.objects.filter(target_id=str(old.pk), action__startswith="legal_hold")
    assert [row.changes["reason"] for row in trail.order_by("id")] == [
        {"from": "", "to": retention.REMOVED},
        {"from": retention.REMOVED, "to": ""},
    ]
    assert ConfigChange.objects.get(action="legal_hold_set", target_id=str(held.pk)).changes[
        "reason"
    ] == {"from": "", "to": "Tribunal claim 2031"}
    assert not NominationKey.objects.filter(promotion=old).exists()
    assert ConfigChange.objects.filter(
        action="retention_text_removed", target_id=str(old.pk)
    ).exists()
    # The messages about it (the committee's copy quoted the justification, the candidate's the
    # decision's note) read the notice; those of the held and the recent case keep their text.
    messages = Notification.objects.filter(promotion=old)
    assert messages.exists()
    assert set(messages.values_list("subject", "body")) == {(retention.REMOVED, retention.REMOVED)}
    assert not Notification.objects.filter(body__contains=REQUEST_TEXT).exists()
    [audited] = ConfigChange.objects.filter(action="retention_text_removed", target_id=str(old.pk))
    assert audited.changes["notifications_text_removed"]["to"] == messages.count()
    for kept in (held, recent):
        assert Notification.objects.filter(
            promotion=kept, body__contains=factories.JUSTIFICATION
        ).exists()
    assert Promotion.objects.get(pk=open_case.pk).justification == "still-open-8d1"
    for kept in (held, recent):
        assert Promotion.objects.get(pk=kept.pk).justification == factories.JUSTIFICATION
        assert PromotionEvent.objects.filter(promotion=kept, note=COMMITTEE_NOTE).exists()
    # The candidate still reads the cleaned case, over the API and on the member site.
    response = client_of(old.candidate.user).get(f"/api/v1/promotions/{old.pk}/packet/")
    assert response.status_code == 200 and response.json()["justification"] == retention.REMOVED
    site = Client()
    site.force_login(old.candidate.user)
    page = site.get(f"/me/promotions/{old.pk}/")
    assert page.status_code == 200 and retention.REMOVED.encode() in page.content
    assert _audit_verify().startswith("OK")


@pytest.mark.parametrize(
    ("who", "method", "status", "code"),
    [
        ("candidate", "post", 403, "permission_denied"),
        ("hr", "post", 400, "reason_required"),
        ("hr", "delete", 409, "no_legal_hold"),
        ("hr_twice", "post", 409, "legal_hold_set"),
    ],
)
def test_legal_hold_refuses(who, method, status, code):
    promotion = factories.promotion(state="rejected")
    hr = factories.hr_user()
    body = {} if who == "hr" else {"reason": "Litigation"}
    if who == "hr_twice":
        retention.promotion_legal_hold_set(actor=hr, promotion=promotion, reason="Litigation")
    actor = promotion.candidate.user if who == "candidate" else hr
    response = getattr(client_of(actor), method)(
        f"/api/v1/promotions/{promotion.pk}/legal-hold/", body, format="json"
    )
    assert response.status_code == status, response.content
    assert response.json()["code"] == code


def _audit_verify() -> str:
    """`manage.py audit_verify`, once the links this test's transaction appended are sealed (as
    COMMIT would: the chain's deferred trigger)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    out = StringIO()
    call_command("audit_verify", stdout=out)
    return out.getvalue()


def test_hr_erases_and_holds_in_the_admin(client):
    hr = factories.hr_user()
    member, _ = factories.team()
    deactivate(member)
    promotion = factories.promotion(state="rejected")
    client.force_login(hr)
    url = "/admin/ladder/member/"
    form = {"action": "erase_personal_data", "_selected_action": [member.pk]}
    confirm = client.post(url, form)
    assert confirm.status_code == 200 and b"Yes, erase their personal data" in confirm.content
    assert Member.objects.get(pk=member.pk).erased_at is None  # not before confirming
    client.post(url, {**form, "post": "yes"})
    assert Member.objects.get(pk=member.pk).erased_at is not None

    url = "/admin/promotions/promotion/"
    form = {"action": "put_on_legal_hold", "_selected_action": [promotion.pk], "apply": "1"}
    refused = client.post(url, form)  # no reason: the form again, with the error
    assert b"Give the reason for the legal hold." in refused.content
    client.post(url, {**form, "legal_hold_reason": "Tribunal claim"})
    held = Promotion.objects.get(pk=promotion.pk)
    assert held.legal_hold and held.legal_hold_reason == "Tribunal claim"
    listed = client.get(url, {"legal_hold__exact": "1"})  # HR's filter finds it
    assert listed.status_code == 200 and f"/{promotion.pk}/change/".encode() in listed.content


def test_a_day_of_demo_activity_an_erasure_and_retention_leave_the_chain_verifying(settings):
    """The demo's people and cycle, eight years ago; today a cycle is planned (a configuration
    change) and a case of the demo's cycle voted on and approved; then HR erases a rejected
    candidate who has left and the retention task runs: `audit_verify` still says OK."""
    settings.DEBUG = True
    with freeze_time(EIGHT_YEARS_AGO):
        call_command("demo", verbosity=0)
    hr = get_user_model().objects.get(username="hr")
    factories.draft_cycle(hr, name="Today's plan")
    case = Promotion.objects.filter(cycle__name=CYCLE_NAME, state="in_review")[0]
    factories.review(case, factories.committee_member(), "approve")
    services.promotion_approve(promotion=case, actor=factories.committee_member())
    rejected = Promotion.objects.filter(state="rejected").exclude(
        candidate__promotions__state__in=OPEN_STATES
    )[0]
    leaver = deactivate(rejected.candidate)
    assert client_of(hr).post(f"/api/v1/members/{leaver.pk}/erase/").status_code == 200
    assert retention.promotions_retention_run() >= 1
    assert Promotion.objects.get(pk=rejected.pk).justification == retention.REMOVED
    assert _audit_verify().startswith("OK")


def test_an_erased_members_record_is_closed_on_every_route(client):
    """Every route that changes a member or their account refuses an erased one (409
    `already_erased`; the admin's forms are read-only: 403), and nothing about them changes."""

    hr = factories.hr_user()
    member, _ = factories.team()
    deactivate(member)
    erasure.member_erase(actor=hr, member=member)
    pseudonym = f"erased-{member.pk}"
    api = client_of(hr)
    for body in ({"is_active": True}, {"first_name": "Back"}, {"email": "back@example.com"}):
        response = api.patch(f"/api/v1/members/{member.pk}/", body, format="json")
        assert response.status_code == 409 and response.json()["code"] == "already_erased"
    response = api.post(f"/api/v1/members/{member.pk}/invite/")
    assert response.status_code == 409 and response.json()["code"] == "already_erased"

    client.force_login(hr)
    change = f"/admin/ladder/member/{member.pk}/change/"
    assert client.post(change, {"is_active": "on"}).status_code == 403
    user_change = f"/admin/auth/user/{member.user_id}/change/"
    assert client.post(user_change, {"username": "back", "is_active": "on"}).status_code == 403
    password = f"/admin/auth/user/{member.user_id}/password/"
    assert client.post(password, {"password1": "x", "password2": "x"}).status_code == 403
    sent = client.post(
        "/admin/ladder/member/",
        {"action": "send_invitations", "_selected_action": [member.pk]},
        follow=True,
    )
    assert b"they are not invited again" in sent.content

    scim = new_client()
    user = {"schemas": [CORE_USER], "userName": pseudonym, "active": True}
    # Never provisioned over SCIM, the member is still listed there: the change is refused.
    put = scim.put(f"/Users/{member.user_id}", {**user, "name": {"givenName": "Back"}})
    assert put.status == 409, put.body
    patched = scim.patch(f"/Users/{member.user_id}", {"op": "replace", "value": {"active": True}})
    assert patched.status == 409, patched.body

    header = "username,email,first_name,last_name,level,manager,level_since,is_active"
    result = members_import(
        actor=hr,
        content=f"{header}\n{pseudonym},back@example.com,Back,,{member.level.code},,,true\n",
    )
    assert [(error.line, "erased" in error.message) for error in result.errors] == [(2, True)]

    member = Member.objects.select_related("user").get(pk=member.pk)
    assert not member.is_active and member.user.username == pseudonym
    assert (member.user.first_name, member.user.email, member.user.is_active) == ("", "", False)
    with pytest.raises(Exception) as refused:
        member_update(actor=hr, member=member, changes={"last_name": "Back"}, route="import")
    assert getattr(refused.value, "code", None) == "already_erased"


def test_after_an_erasure_the_person_is_named_nowhere_in_the_database(rf, client):
    """A candidate (the committee's messages named them, HR put their rejected case on legal
    hold, HR edited them in the admin) is erased: no column of any table holds their first name,
    last name, full name, e-mail address or username any more."""

    user = factories.UserFactory(
        username="zquix-4d2",
        email="zebulon.quixotefield@example.org",
        first_name="Zebulon",
        last_name="Quixotefield",
    )
    candidate, _ = factories.team()
    member = factories.MemberFactory(user=user, level=candidate.level, manager=candidate.manager)
    hr = factories.hr_user()
    # Their manager nominated them with an Idempotency-Key (its record keeps the response, which
    # names them), then withdrew the case.
    to_level = level_next_levels(level=member.level)[0]
    nomination = {
        "candidate": member.pk,
        "to_level": to_level.code,
        "justification": factories.JUSTIFICATION,
        "evidence": factories.evidence_for(to_level),
    }
    nominator = client_of(member.manager.user)
    sent = nominator.post(
        "/api/v1/promotions/", nomination, format="json", HTTP_IDEMPOTENCY_KEY="zq-1"
    )
    assert sent.status_code == 201 and "Quixotefield" in json.dumps(sent.json())
    withdrawn = Promotion.objects.get(pk=sent.json()["id"])
    services.promotion_withdraw(promotion=withdrawn, actor=member.manager.user, note="")
    # The identity provider set their identifiers (audited in their record's trail).
    scim = new_client()
    patched = scim.patch(
        f"/Users/{user.pk}",
        {"op": "replace", "path": "externalId", "value": "ext-zquix-4d2"},
        {"op": "replace", "path": f"{ENTERPRISE}:employeeNumber", "value": "EMP-ZQX-77"},
        {"op": "replace", "path": f"{ENTERPRISE}:department", "value": "Quixotefield Org"},
    )
    assert patched.status == 200, patched.body
    assert MemberChange.objects.filter(changes__employee_number__to="EMP-ZQX-77").exists()
    promotion, _, _ = rejected_with_committee_work(candidate=member)
    committee_copies = Notification.objects.filter(promotion=promotion).exclude(recipient=user)
    assert committee_copies.filter(subject__contains="Zebulon Quixotefield").exists()
    # A legal hold's reason is free text that may name them: set, cleared and set again.
    named = "Tribunal claim of Zebulon Quixotefield."
    retention.promotion_legal_hold_set(actor=hr, promotion=promotion, reason=named)
    retention.promotion_legal_hold_clear(actor=hr, promotion=promotion)
    retention.promotion_legal_hold_set(actor=hr, promotion=promotion, reason="Tribunal claim")
    invitations.invitation_send(actor=hr, user=user)  # recorded as "sent to <address>"
    # Logins are recorded with the username typed (django-axes), a failed one too.
    for password in ("wrong", factories.PASSWORD):
        client.post("/login/", {"username": "zquix-4d2", "password": password})
    assert "_auth_user_id" in client.session
    assert AccessLog.objects.filter(username="zquix-4d2").exists()
    request = rf.post("/admin/")
    request.user = hr
    for obj in (member, user):  # what the admin's change forms log
        django_admin.site._registry[type(obj)].log_change(request, obj, "Changed manager.")
    deactivate(member)
    assert client_of(hr).post(f"/api/v1/members/{member.pk}/erase/").status_code == 200

    secrets = (
        "zebulon",
        "quixotefield",
        "zebulon quixotefield",
        "zebulon.quixotefield@example.org",
        "zquix-4d2",
        "emp-zqx-77",
    )
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT row_to_json(t)::text FROM "{table}" t')  # noqa: S608
            for (row,) in cursor.fetchall():
                found += [(table, secret) for secret in secrets if secret in row.lower()]
    assert sorted(set(found)) == [], " ".join(map(str, sorted(set(found))))
    # What the people who received them read is still the message, with the pseudonym.
    assert committee_copies.filter(subject__contains=f"erased-{member.pk}").exists()
    assert LogEntry.objects.filter(object_repr=f"erased-{member.pk}").count() == 2
    # The hold stays, its reasons read the erasure's mark.
    holds = ConfigChange.objects.filter(target_id=str(promotion.pk), action__startswith="legal")
    assert [row.changes["reason"] for row in holds.order_by("id")] == [
        {"from": "", "to": erasure.ERASED},
        {"from": erasure.ERASED, "to": ""},
        {"from": "", "to": erasure.ERASED},
    ]
    hold = Promotion.objects.values_list("legal_hold", "legal_hold_reason").get(pk=promotion.pk)
    assert hold == (True, erasure.ERASED)
    # The key's record is gone: sent again, it is a new nomination, refused (the member is
    # inactive), never the first response.
    assert not NominationKey.objects.filter(promotion=withdrawn).exists()
    again = nominator.post(
        "/api/v1/promotions/", nomination, format="json", HTTP_IDEMPOTENCY_KEY="zq-1"
    )
    assert again.status_code == 409, again.json()
    assert _audit_verify().startswith("OK")
