"""Nomination requests over HTTP (docs/api.md, docs/member-site.md): a member asks their manager
with a packet; the manager (or HR) accepts, which nominates the member with that packet as version
1, or declines with a reason the member reads. Who sees what, every refusal with its code, the
notifications and the manager's reminder; the member site's form, /me/ and /team/."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from ladder.models import Level
from notifications.models import Notification
from promotions import tasks
from promotions.models import NominationRequest, PacketVersion, Promotion
from promotions.requests import services
from tests import factories

pytestmark = pytest.mark.django_db

URL = "/api/v1/nomination-requests/"
READS = {"id", "member", "to_level", "state", "reason", "promotion", "created_at", "answered_at"}
REASON = "decline-7c2: lead the pricing launch first, then ask again"


def client_of(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {factories.token_for(user)}")
    return client


def body(level: str = "senior-pm", **extra) -> dict:
    return {
        "to_level": level,
        "justification": "I have run checkout for two years.",
        "evidence": factories.evidence_for(level, text="Shipped the new checkout"),
        **extra,
    }


def test_a_member_asks_and_the_manager_accepts_with_the_packet_as_version_one():
    member, manager = factories.team()
    other = factories.MemberFactory(level=Level.objects.get(code="pm"))
    committee = factories.committee_member()
    asker, boss = client_of(member.user), client_of(manager.user)
    promotions_before = Promotion.objects.count()

    asked = asker.post(URL, body(), format="json")
    assert asked.status_code == 201, asked.content
    request = asked.json()
    assert set(request) == READS
    assert request["state"] == "pending" and request["to_level"] == "senior-pm"
    assert request["member"]["id"] == member.pk and request["promotion"] is None
    assert Promotion.objects.count() == promotions_before  # the member never nominates
    told = Notification.objects.get(kind="nomination_requested")
    assert told.recipient_id == manager.user_id and told.link == "/team/#requests"

    again = asker.post(URL, body(), format="json")
    assert again.status_code == 409 and again.json()["code"] == "nomination_request_pending"
    assert [r["id"] for r in boss.get(URL).json()["results"]] == [request["id"]]
    assert client_of(other.user).get(f"{URL}{request['id']}/").status_code == 404
    assert client_of(other.user).get(URL).json()["results"] == []
    assert client_of(factories.hr_user()).get(f"{URL}{request['id']}/").status_code == 200

    own = asker.post(f"{URL}{request['id']}/accept/", {}, format="json")
    assert own.status_code == 403
    stranger = client_of(other.user).post(f"{URL}{request['id']}/accept/", {}, format="json")
    assert stranger.status_code == 404
    assert boss.post(f"{URL}{request['id']}/accept/", {"x": 1}, format="json").status_code == 400

    accepted = boss.post(f"{URL}{request['id']}/accept/", {}, format="json")
    assert accepted.status_code == 200, accepted.content
    answer = accepted.json()
    assert answer["state"] == "accepted" and answer["answered_at"] is not None
    promotion = Promotion.objects.get(pk=answer["promotion"])
    assert promotion.candidate_id == member.pk and promotion.nominated_by_id == manager.user_id
    version = PacketVersion.objects.get(promotion=promotion)
    assert version.number == 1 and version.justification == "I have run checkout for two years."
    sent = {item["criterion"]: item["text"] for item in body()["evidence"]}
    assert {item["criterion"]: item["text"] for item in version.evidence} == sent
    heard = Notification.objects.get(kind="nomination_request_answered")
    assert heard.recipient_id == member.user_id and "accepted" in heard.subject
    assert Notification.objects.filter(kind="review_requested", recipient=committee).exists()

    late = boss.post(f"{URL}{request['id']}/decline/", {"reason": REASON}, format="json")
    assert late.status_code == 409 and late.json()["code"] == "nomination_request_answered"


def test_a_declined_request_shows_the_reason_to_the_member():
    member, manager = factories.team()
    asker, boss = client_of(member.user), client_of(manager.user)
    request = asker.post(URL, body(), format="json").json()
    url = f"{URL}{request['id']}/decline/"

    blank = boss.post(url, {"reason": "  "}, format="json")
    assert blank.status_code == 400 and blank.json()["code"] == "reason_required"
    assert asker.post(url, {"reason": REASON}, format="json").status_code == 403

    declined = boss.post(url, {"reason": REASON}, format="json")
    assert declined.status_code == 200 and declined.json()["state"] == "declined"
    seen = asker.get(f"{URL}{request['id']}/").json()
    assert seen["reason"] == REASON and seen["promotion"] is None
    heard = Notification.objects.get(kind="nomination_request_answered")
    assert heard.recipient_id == member.user_id and REASON in heard.body
    assert not Promotion.objects.filter(candidate=member).exists()
    # Answered, it no longer blocks: the member may ask again.
    assert asker.post(URL, body(), format="json").status_code == 201


def test_refusals_with_their_codes():
    member, manager = factories.team()
    alone = factories.MemberFactory(level=Level.objects.get(code="pm"))
    recent = factories.MemberFactory(
        level=Level.objects.get(code="pm"), manager=manager, level_since=timezone.localdate()
    )
    asker = client_of(member.user)

    assert APIClient().post(URL, body(), format="json").status_code == 401
    nobody = client_of(factories.hr_user()).post(URL, body(), format="json")
    assert nobody.status_code == 403  # HR without a place on the ladder asks no one
    no_manager = client_of(alone.user).post(URL, body(), format="json")
    assert no_manager.status_code == 409 and no_manager.json()["code"] == "no_manager"
    too_soon = client_of(recent.user).post(URL, body(), format="json")
    assert too_soon.status_code == 409 and too_soon.json()["code"] == "not_eligible"
    assert [r["code"] for r in too_soon.json()["reasons"]] == ["time_in_level"]
    far = asker.post(URL, body("cpo"), format="json")
    assert far.status_code == 400 and far.json()["code"] == "invalid_move"
    empty = asker.post(URL, {**body(), "evidence": []}, format="json")
    assert empty.status_code == 400 and empty.json()["code"] == "evidence_missing"
    unjustified = asker.post(URL, {**body(), "justification": " "}, format="json")
    assert unjustified.status_code == 400
    assert not NominationRequest.objects.exists()

    # Accepting re-applies the nomination's rules now: nominated meanwhile, it is not eligible.
    request = asker.post(URL, body(), format="json").json()
    factories.promotion(candidate=member, to="senior-pm")
    refused = client_of(manager.user).post(f"{URL}{request['id']}/accept/", {}, format="json")
    assert refused.status_code == 409 and refused.json()["code"] == "not_eligible"
    assert NominationRequest.objects.get(pk=request["id"]).state == "pending"


def test_one_pending_request_per_member_is_a_database_rule():
    member, _ = factories.team()
    level = Level.objects.get(code="senior-pm")
    NominationRequest.objects.create(member=member, to_level=level, justification="x")
    with pytest.raises(IntegrityError), transaction.atomic():
        NominationRequest.objects.create(member=member, to_level=level, justification="y")


def test_hr_answers_too_and_the_manager_is_reminded_once_a_day(settings):
    member, manager = factories.team()
    request = services.nomination_request_create(
        user=member.user, to_level=Level.objects.get(code="senior-pm"), **_packet()
    )
    assert tasks.nomination_requests_remind() == 0  # not late yet
    sla = timedelta(days=settings.NOMINATION_REQUEST_SLA_DAYS + 1)
    NominationRequest.objects.filter(pk=request.pk).update(created_at=timezone.now() - sla)
    assert tasks.nomination_requests_remind() == 1  # the periodic task
    assert tasks.nomination_requests_remind() == 0  # at most once a day
    member.is_active = False
    member.save(update_fields=["is_active"])
    NominationRequest.objects.filter(pk=request.pk).update(created_at=timezone.now() - 2 * sla)
    assert services.nomination_requests_remind(now=timezone.now() + timedelta(days=1)) == 0
    member.is_active = True
    member.save(update_fields=["is_active"])
    later = timezone.now()
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "promotions.tasks.nomination_requests_remind" in scheduled
    reminder = Notification.objects.get(kind="nomination_request_reminder")
    assert reminder.recipient_id == manager.user_id

    hr = factories.hr_user()
    answer = client_of(hr).post(f"{URL}{request.pk}/decline/", {"reason": REASON}, format="json")
    assert answer.status_code == 200
    assert services.nomination_requests_remind(now=later + timedelta(days=1)) == 0


def _packet() -> dict:
    packet = body()
    return {"justification": packet["justification"], "evidence": packet["evidence"]}


def _site(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_member_site_asks_accepts_and_declines():
    member, manager = factories.team()
    pm, boss = _site(member.user), _site(manager.user)
    me = pm.get("/me/").content.decode()
    assert 'href="/me/request/senior-pm/"' in me
    form = pm.get("/me/request/senior-pm/")
    assert form.status_code == 200 and "Send the request to my manager" in form.content.decode()

    fields = {"justification": "I have run checkout for two years."}
    for item in body()["evidence"]:
        fields[f"evidence-{item['criterion']}"] = item["text"]
    kept = pm.post("/me/request/senior-pm/", {**fields, "justification": ""})
    assert kept.status_code == 200 and "Shipped the new checkout" in kept.content.decode()
    sent = pm.post("/me/request/senior-pm/", fields)
    assert sent.status_code == 302 and sent["Location"] == "/me/#requests"
    request = NominationRequest.objects.get(member=member)
    assert "Waiting for the manager" in pm.get("/me/").content.decode()

    assert "1 request for a nomination waits for your answer" in boss.get("/").content.decode()
    team = boss.get("/team/").content.decode()
    assert f'id="request-{request.pk}"' in team and "Shipped the new checkout" in team
    accepted = boss.post(f"/team/requests/{request.pk}/accept/")
    request.refresh_from_db()
    assert accepted.status_code == 302
    assert accepted["Location"] == f"/nominations/{request.promotion_id}/"
    version = PacketVersion.objects.get(promotion_id=request.promotion_id)
    assert version.number == 1 and version.justification == fields["justification"]

    # A second request, declined with a reason the member reads on /me/.
    other, _ = factories.team()
    other.manager = manager
    other.save()
    asked = services.nomination_request_create(
        user=other.user, to_level=Level.objects.get(code="senior-pm"), **_packet()
    )
    refused = boss.post(f"/team/requests/{asked.pk}/decline/", {"reason": ""})
    assert refused.status_code == 200 and "Say why you decline" in refused.content.decode()
    declined = boss.post(f"/team/requests/{asked.pk}/decline/", {"reason": REASON})
    assert declined.status_code == 302
    assert REASON in _site(other.user).get("/me/").content.decode()
    assert _site(other.user).post(f"/team/requests/{asked.pk}/accept/").status_code == 404


def test_the_form_refuses_with_the_reasons_in_words_and_keeps_what_was_typed():
    manager = factories.MemberFactory(level=Level.objects.get(code="group-pm"))
    recent = factories.MemberFactory(
        level=Level.objects.get(code="pm"), manager=manager, level_since=timezone.localdate()
    )
    pm = _site(recent.user)
    assert 'href="/me/request/senior-pm/"' not in pm.get("/me/").content.decode()
    fields = {"justification": "typed-3f9: I am ready."}
    refused = pm.post("/me/request/senior-pm/", fields).content.decode()
    assert "typed-3f9: I am ready." in refused and "months required" in refused
    assert pm.get("/me/request/cpo/").status_code == 404
    assert not NominationRequest.objects.exists()


def test_hr_sees_every_request_in_the_admin_with_how_long_answers_took():
    member, manager = factories.team()
    waiting, _ = factories.team()
    level = Level.objects.get(code="senior-pm")
    answered = services.nomination_request_create(user=member.user, to_level=level, **_packet())
    services.nomination_request_decline(request=answered, actor=manager.user, reason=REASON)
    NominationRequest.objects.filter(pk=answered.pk).update(
        answered_at=answered.created_at + timedelta(days=3, hours=4)
    )
    pending = services.nomination_request_create(user=waiting.user, to_level=level, **_packet())
    hr = _site(factories.hr_user())
    url = "/admin/promotions/nominationrequest/"

    listed = hr.get(url).content.decode()
    assert "3 days 4 h" in listed and "waiting" in listed
    only_pending = hr.get(url + "?state__exact=pending").content.decode()
    assert waiting.name in only_pending and member.name not in only_pending
    assert _site(factories.committee_member()).get(url).status_code == 403
    page = hr.get(f"{url}{pending.pk}/change/").content.decode()
    assert "Accept and nominate" in page and "Decline the request" in page
    assert "Accept and nominate" not in hr.get(f"{url}{answered.pk}/change/").content.decode()
    assert hr.post(f"{url}{pending.pk}/change/", {}).status_code == 403  # read-only

    answer = f"{url}{pending.pk}/answer/"
    hr.post(answer, {"action": "decline", "reason": ""})
    assert NominationRequest.objects.get(pk=pending.pk).state == "pending"
    accepted = hr.post(answer, {"action": "accept"})
    pending.refresh_from_db()
    assert pending.state == "accepted"
    assert accepted["Location"] == f"/admin/promotions/promotion/{pending.promotion_id}/change/"
