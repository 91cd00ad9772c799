"""Delegation over HTTP (docs/design.md, "Delegation"): a committee member on leave hands their
seat to another; the delegate votes for it (`on_behalf_of`), the vote names both and counts once,
recusal is asked of both, and nothing happens outside the delegation's days. Each refusal has its
status and code; who sees which delegation; the audit trail; the seat's messages reach the
delegate."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from audit.models import ConfigChange
from core import roles
from ladder.models import Level
from notifications.models import Notification
from notifications.services import notifications_create
from promotions import services
from promotions.models import Delegation, Review
from promotions.notify import COMMITTEE, INVOLVED
from promotions.selectors import promotion_votes
from tests import factories

pytestmark = pytest.mark.django_db

URL = "/api/v1/delegations/"


def client_of(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {factories.token_for(user)}")
    return client


def days(n: int) -> str:
    return (timezone.localdate() + timedelta(days=n)).isoformat()


def delegate(client, delegate_user, *, start=0, end=7, **extra):
    body = {"delegate": delegate_user.username, "starts_on": days(start), "ends_on": days(end)}
    return client.post(URL, {**body, **extra}, format="json")


def vote(client, promotion, decision="approve", **extra):
    body = {"decision": decision, "ratings": factories.ratings_body(promotion), **extra}
    if decision == "reject":
        body["comment"] = "Not yet."
    return client.post(f"/api/v1/promotions/{promotion.pk}/reviews/", body, format="json")


def refused(response, status: int, code: str) -> None:
    assert (response.status_code, response.json().get("code")) == (status, code), response.json()


def executive():
    user = factories.UserFactory()
    user.groups.add(Group.objects.get_or_create(name=roles.EXECUTIVES_GROUP)[0])
    return user


def test_a_delegate_votes_for_an_absent_member_the_vote_names_both_and_counts_once():
    absent, stand_in = factories.committee_member(), factories.committee_member()
    promotion = factories.promotion(state="in_review")
    made = delegate(client_of(absent), stand_in)
    assert made.status_code == 201
    assert made.json() == {
        "id": made.json()["id"],
        "delegator": absent.username,
        "delegate": stand_in.username,
        "starts_on": days(0),
        "ends_on": days(7),
    }
    by_stand_in = client_of(stand_in)

    first = vote(by_stand_in, promotion, on_behalf_of=absent.username)
    assert first.status_code == 201
    assert (first.json()["reviewer"], first.json()["cast_by"]) == (
        absent.username,
        stand_in.username,
    )
    # The seat votes once per version: the delegate changing it, or the delegator, changes that one.
    changed = vote(by_stand_in, promotion, "reject", on_behalf_of=absent.username)
    assert changed.status_code == 200 and changed.json()["decision"] == "reject"
    again = vote(client_of(absent), promotion)
    assert again.status_code == 200
    assert (again.json()["reviewer"], again.json()["cast_by"]) == (absent.username,) * 2
    assert vote(by_stand_in, promotion, on_behalf_of=absent.username).status_code == 200
    assert Review.objects.filter(promotion=promotion, reviewer=absent).count() == 1
    # The delegate's own seat is theirs: a second vote, their own.
    assert vote(by_stand_in, promotion).status_code == 201

    committee = client_of(factories.committee_member())
    listed = committee.get(f"/api/v1/promotions/{promotion.pk}/reviews/").json()
    assert [(r["reviewer"], r["cast_by"]) for r in listed] == [
        (absent.username, stand_in.username),
        (stand_in.username, stand_in.username),
    ]
    counted = [v for v in promotion_votes(promotion=promotion) if v["counted"]]
    assert sorted(v["reviewer"] for v in counted) == sorted([absent.username, stand_in.username])

    url = f"/api/v1/promotions/{promotion.pk}/"
    assert committee.post(url + "approve/", {}, format="json").status_code == 200
    decided = committee.get(url + "timeline/").json()[-1]["votes"]
    assert {v["reviewer"]: v["cast_by"] for v in decided} == {
        absent.username: stand_in.username,
        stand_in.username: stand_in.username,
    }
    desk = factories.hr_user()
    page = APIClient()
    page.force_login(desk)
    html = page.get(f"/admin/promotions/promotion/{promotion.pk}/change/").content.decode()
    assert f"cast by {stand_in.username} for this seat" in html


def test_recusal_is_asked_of_the_delegate_and_of_the_seat():
    candidate, manager = factories.team()
    seat_manager = factories.committee_member()  # manages the candidate: involved
    manager.user = seat_manager
    manager.save()
    promotion = factories.promotion(candidate=candidate, by=factories.hr_user(), state="in_review")
    # The delegate involved (the candidate's manager) may not vote for anyone.
    absent = factories.committee_member()
    made = delegate(client_of(absent), seat_manager).json()
    refused(
        vote(client_of(seat_manager), promotion, on_behalf_of=absent.username),
        403,
        "permission_denied",
    )
    # The seat involved: nobody votes for it.
    assert client_of(absent).delete(f"{URL}{made['id']}/").status_code == 204
    stand_in = factories.committee_member()
    assert delegate(client_of(seat_manager), stand_in).status_code == 201
    refused(
        vote(client_of(stand_in), promotion, on_behalf_of=seat_manager.username),
        403,
        "seat_recused",
    )
    assert not Review.objects.filter(promotion=promotion).exists()


def test_outside_its_days_or_once_revoked_a_delegation_does_nothing():
    absent, stand_in = factories.committee_member(), factories.committee_member()
    promotion = factories.promotion(state="in_review")

    def for_absent():
        return vote(client_of(stand_in), promotion, on_behalf_of=absent.username)

    later = delegate(client_of(absent), stand_in, start=3, end=5)
    assert later.status_code == 201
    refused(
        vote(client_of(stand_in), promotion, on_behalf_of=absent.username), 403, "no_delegation"
    )
    # Over: ended yesterday (moved there in the database: no clock is frozen).
    Delegation.objects.filter(pk=later.json()["id"]).update(
        starts_on=timezone.localdate() - timedelta(days=5),
        ends_on=timezone.localdate() - timedelta(days=1),
    )
    refused(
        vote(client_of(stand_in), promotion, on_behalf_of=absent.username), 403, "no_delegation"
    )
    # Nor does a delegation from someone else, nor one from oneself.
    refused(
        vote(client_of(stand_in), promotion, on_behalf_of=stand_in.username), 403, "no_delegation"
    )
    now = delegate(client_of(absent), stand_in)
    assert for_absent().status_code == 201
    assert client_of(absent).delete(f"{URL}{now.json()['id']}/").status_code == 204
    refused(
        vote(client_of(stand_in), promotion, on_behalf_of=absent.username), 403, "no_delegation"
    )
    # A delegate who left the committee holds no seat any more (nor sees the case).
    again = delegate(client_of(absent), stand_in, start=1, end=2)
    Delegation.objects.filter(pk=again.json()["id"]).update(starts_on=timezone.localdate())
    # Nor does one from a delegator who has left the committee: the seat is gone.
    committee_group = Group.objects.get(name=roles.COMMITTEE_GROUP)
    absent.groups.remove(committee_group)
    refused(for_absent(), 403, "no_delegation")
    absent.groups.add(committee_group)
    stand_in.groups.clear()
    refused(for_absent(), 404, "no_such_promotion")
    assert Review.objects.get(promotion=promotion).cast_by == stand_in


def test_every_refusal_when_naming_a_delegate():
    first, second, third = (factories.committee_member() for _ in range(3))
    hr = factories.hr_user()
    member = factories.MemberFactory().user
    by_first = client_of(first)
    refused(delegate(by_first, first), 400, "self_delegation")
    refused(delegate(by_first, member), 400, "delegate_lacks_role")
    refused(delegate(by_first, executive()), 400, "delegate_lacks_role")
    refused(delegate(by_first, hr), 400, "delegate_lacks_role")
    refused(delegate(client_of(hr), second, delegator=member.username), 400, "delegator_lacks_role")
    refused(delegate(by_first, second, start=-1), 400, "delegation_starts_in_past")
    refused(delegate(by_first, second, start=4, end=3), 400, "delegation_dates_out_of_order")
    refused(delegate(by_first, second, end=400), 400, "date_too_far")
    refused(delegate(by_first, second, delegate_x=1), 400, "unknown_field")
    refused(
        by_first.post(
            URL,
            {"delegate": "nobody-here", "starts_on": days(0), "ends_on": days(1)},
            format="json",
        ),
        400,
        "no_such_member",
    )
    refused(delegate(by_first, second, delegator=third.username), 403, "permission_denied")
    refused(delegate(client_of(member), second), 403, "permission_denied")

    assert delegate(by_first, second, start=2, end=6).status_code == 201
    refused(delegate(by_first, third, start=6, end=9), 400, "delegation_overlaps")
    # No chains: the delegate has handed their own seat over then; the delegator holds one then.
    refused(delegate(client_of(second), third, start=5, end=8), 400, "delegation_chain")
    refused(delegate(client_of(third), first, start=0, end=2), 400, "delegation_chain")
    assert delegate(client_of(third), first, start=0, end=1).status_code == 201
    assert delegate(client_of(second), third, start=7, end=8).status_code == 201
    # HR names a delegate for a seat, and executives hand theirs to executives.
    assert (
        delegate(client_of(hr), first, delegator=second.username, start=9, end=10).status_code
        == 201
    )
    boss, other_boss = executive(), executive()
    assert delegate(client_of(boss), other_boss).status_code == 201
    refused(delegate(client_of(other_boss), first, start=8, end=9), 400, "delegate_lacks_role")


def test_who_sees_and_revokes_which_delegation_and_the_audit_trail():
    absent, stand_in, other = (factories.committee_member() for _ in range(3))
    hr = factories.hr_user()
    made = delegate(client_of(absent), stand_in).json()
    other_made = delegate(client_of(hr), absent, delegator=other.username, start=8, end=9).json()

    def ids(user):
        response = client_of(user).get(URL)
        assert response.status_code == 200
        return {row["id"] for row in response.json()["results"]}

    assert ids(hr) == {made["id"], other_made["id"]}
    assert ids(absent) == {made["id"], other_made["id"]}
    assert ids(stand_in) == {made["id"]}
    assert ids(factories.committee_member()) == set()
    refused(client_of(factories.MemberFactory().user).get(URL), 403, "permission_denied")

    one = f"{URL}{made['id']}/"
    refused(client_of(stand_in).delete(one), 403, "permission_denied")
    refused(client_of(other).delete(one), 404, "no_such_delegation")
    assert client_of(absent).delete(one).status_code == 204
    refused(client_of(absent).delete(one), 404, "no_such_delegation")
    assert client_of(hr).delete(f"{URL}{other_made['id']}/").status_code == 204

    trail = ConfigChange.objects.filter(target_type="promotions.delegation").order_by("id")
    assert [(row.action, row.actor, row.route) for row in trail] == [
        ("delegation created", absent, "api"),
        ("delegation created", hr, "api"),
        ("delegation revoked", absent, "api"),
        ("delegation revoked", hr, "api"),
    ]
    assert trail[0].changes["delegate"] == {"from": None, "to": stand_in.username}
    assert trail[2].changes["delegator"] == {"from": absent.username, "to": None}


def test_the_delegate_receives_the_seats_messages_not_its_personal_ones():
    absent, stand_in = factories.committee_member(), factories.committee_member()
    assert delegate(client_of(absent), stand_in).status_code == 201
    promotion = factories.promotion(state="in_review")

    def send(kind, audience, about=promotion):
        notifications_create(
            recipient_ids=[absent.pk],
            kind=kind,
            subject="Look",
            body="b",
            promotion_id=about.pk if about else None,
            audience=audience,
        )
        return Notification.objects.filter(recipient=stand_in, kind=kind).first()

    copy = send("look_again", COMMITTEE)
    assert copy.subject == f"For {absent.username}: Look" and copy.promotion_id == promotion.pk
    assert copy.deliveries.exists()
    assert Notification.objects.filter(recipient=absent, kind="look_again").exists()  # kept
    assert send("calibrating_x", "", about=None) is None  # not the role's
    assert send("cycle_calibrating", "", about=None).subject.startswith("For ")
    assert send("decided", INVOLVED) is None  # the delegator's own, as manager or nominator
    # A delegate involved in the promotion gets no copy of the committee's work on it.
    candidate, manager = factories.team()
    manager.user = stand_in
    manager.save()
    theirs = factories.promotion(candidate=candidate, by=factories.hr_user())
    assert send("look_again_2", COMMITTEE, about=theirs) is None
    # A delegate who has left the committee gets no copy (the delegation does nothing).
    stand_in.groups.clear()
    assert send("look_again_4", COMMITTEE) is None
    stand_in.groups.add(Group.objects.get(name=roles.COMMITTEE_GROUP))
    # Once the delegation has ended, nothing more is copied.
    Delegation.objects.update(
        starts_on=timezone.localdate() - timedelta(days=3),
        ends_on=timezone.localdate() - timedelta(days=1),
    )
    assert send("look_again_3", COMMITTEE) is None


def test_a_committee_member_names_and_revokes_a_delegate_on_the_member_site(client):
    me = factories.committee_member(level="vp-product", first_name="Chen", last_name="Okafor")
    stand_in = factories.committee_member(level="group-pm", first_name="Dana", last_name="Reyes")
    outsider = factories.MemberFactory().user  # no seat: chosen nowhere, refused the form
    client.force_login(me)
    page = client.get("/me/").content.decode()
    assert "My seat while I am away" in page and "Dana Reyes" in page
    assert outsider.username not in page

    form = {"delegate": stand_in.username, "starts_on": days(-2), "ends_on": days(3)}
    refused_page = client.post("/me/delegations/", form)
    text = refused_page.content.decode()
    assert refused_page.status_code == 200
    assert "A delegation starts today or later" in text
    assert f'value="{days(-2)}"' in text and f'value="{stand_in.username}" selected' in text
    assert not Delegation.objects.exists()

    done = client.post("/me/delegations/", {**form, "starts_on": days(0)})
    assert done.status_code == 302 and done["Location"].endswith("/me/#delegations")
    made = Delegation.objects.get()
    assert (made.delegator, made.delegate, made.created_by) == (me, stand_in, me)
    assert "holds your seat" in client.get("/me/").content.decode()
    # The delegate reads it as a seat they hold, and may not revoke it.
    other = Client()
    other.force_login(stand_in)
    assert "Seats I hold" in other.get("/me/").content.decode()
    assert other.post(f"/me/delegations/{made.pk}/revoke/").status_code == 302
    assert Delegation.objects.filter(pk=made.pk).exists()
    assert client.post(f"/me/delegations/{made.pk}/revoke/").status_code == 302
    assert not Delegation.objects.exists()
    client.force_login(outsider)
    assert client.post("/me/delegations/", form).status_code == 404


def test_the_delegate_votes_for_the_seat_on_the_desk(client):
    absent, stand_in = factories.committee_member(), factories.committee_member()
    promotion = factories.promotion(state="in_review")
    desk = f"/admin/promotions/promotion/{promotion.pk}/"
    client.force_login(stand_in)
    assert "Vote for" not in client.get(desk + "change/").content.decode()
    assert delegate(client_of(absent), stand_in).status_code == 201
    page = client.get(desk + "change/").content.decode()
    assert "Vote for" in page and f"{absent.username}&#x27;s seat" in page
    ratings = {f"rating_{c}": r for c, r in factories.ratings_for(promotion).items()}
    body = {"action": "review", "decision": "approve", "on_behalf_of": absent.username}
    done = client.post(desk + "act/", {**body, **ratings}, follow=True)
    said = [str(message) for message in done.context["messages"]]
    assert f"Your review for {absent.username}'s seat is recorded." in said
    review = Review.objects.get(promotion=promotion)
    assert (review.reviewer, review.cast_by) == (absent, stand_in)
    assert f"cast by {stand_in.username} for this seat" in done.content.decode()


def test_hr_lists_adds_and_revokes_delegations_in_the_admin(client):
    hr = factories.hr_user()
    absent, stand_in = factories.committee_member(), factories.committee_member()
    client.force_login(absent)
    assert client.get("/admin/promotions/delegation/").status_code == 403  # HR's list
    client.force_login(hr)
    add_page = client.get("/admin/promotions/delegation/add/").content.decode()
    assert 'id="id_delegator"' in add_page and "add_id_delegator" not in add_page
    form = {
        "delegator": absent.pk,
        "delegate": stand_in.pk,
        "starts_on": days(0),
        "ends_on": days(-1),
    }
    refused_page = client.post("/admin/promotions/delegation/add/", form)
    assert refused_page.status_code == 200
    assert "The delegation ends on or after the day it starts." in refused_page.content.decode()
    added = client.post("/admin/promotions/delegation/add/", {**form, "ends_on": days(2)})
    assert added.status_code == 302
    made = Delegation.objects.get()
    assert (made.delegator, made.delegate, made.created_by) == (absent, stand_in, hr)
    listed = client.get("/admin/promotions/delegation/").content.decode()
    assert absent.username in listed and stand_in.username in listed
    shown = client.get(f"/admin/promotions/delegation/{made.pk}/change/")
    assert shown.status_code == 200 and stand_in.username in shown.content.decode()
    page = client.get(f"/admin/promotions/delegation/{made.pk}/delete/")
    assert page.status_code == 200
    assert (
        client.post(f"/admin/promotions/delegation/{made.pk}/delete/", {"post": "yes"}).status_code
        == 302
    )
    assert not Delegation.objects.exists()
    actions = ConfigChange.objects.filter(target_type="promotions.delegation")
    assert sorted(actions.values_list("action", "route")) == [
        ("delegation created", "admin"),
        ("delegation revoked", "admin"),
    ]


def test_hr_whose_own_promotion_is_open_names_and_revokes_no_delegation_of_another_seat(client):
    """Choosing who casts a seat's vote is committee work: while HR's own promotion is open they
    may not name or revoke a delegation of someone else's seat (roles.account_conflict, the rule
    for committee membership: 403 `conflict_of_interest`), over the API, in the admin or on /me/;
    another HR user may, and so may they once their promotion is decided."""
    hr, other_hr = factories.hr_user(), factories.hr_user()
    hr.groups.add(Group.objects.get(name=roles.COMMITTEE_GROUP))  # a seat of their own, for /me/
    factories.MemberFactory(user=hr, level=Level.objects.get(code="pm"))
    own_case = factories.promotion(candidate=hr.member, by=other_hr)
    absent, stand_in, spare = (factories.committee_member() for _ in range(3))
    api = client_of(hr)
    made = delegate(client_of(other_hr), stand_in, delegator=absent.username).json()

    refused(delegate(api, stand_in, delegator=spare.username), 403, "conflict_of_interest")
    # 403 before the body's people are looked up, as for any refusal to name for others.
    refused(delegate(api, stand_in, delegator="nobody-here"), 403, "conflict_of_interest")
    refused(api.delete(f"{URL}{made['id']}/"), 403, "conflict_of_interest")

    client.force_login(hr)
    form = {
        "delegator": spare.pk,
        "delegate": stand_in.pk,
        "starts_on": days(0),
        "ends_on": days(2),
    }
    page = client.post("/admin/promotions/delegation/add/", form)
    assert page.status_code == 200  # the form again, saying why
    assert "While your own promotion is open" in page.content.decode()
    assert client.get(f"/admin/promotions/delegation/{made['id']}/delete/").status_code == 403
    deleting = client.post(f"/admin/promotions/delegation/{made['id']}/delete/", {"post": "yes"})
    assert deleting.status_code == 403
    revoking = client.post(f"/me/delegations/{made['id']}/revoke/", follow=True)
    assert "While your own promotion is open" in revoking.content.decode()

    assert list(Delegation.objects.values_list("delegator", flat=True)) == [absent.pk]
    assert ConfigChange.objects.filter(target_type="promotions.delegation").count() == 1
    # Their own seat stays theirs to hand over and take back.
    own = delegate(api, spare, start=3, end=4)
    assert own.status_code == 201
    assert api.delete(f"{URL}{own.json()['id']}/").status_code == 204

    services.promotion_withdraw(promotion=own_case, actor=other_hr)
    assert delegate(api, stand_in, delegator=spare.username).status_code == 201
    assert api.delete(f"{URL}{made['id']}/").status_code == 204


def test_a_vote_cast_for_a_seat_is_taking_part_for_the_executive_step():
    """An Executive who is also on the committee cast a vote for an absent member's seat: they
    took part, so they may not give the executive approval (403 took_part_before)."""
    absent = factories.committee_member()
    both = factories.executive()
    both.groups.add(Group.objects.get(name=roles.COMMITTEE_GROUP))
    candidate, _ = factories.team(level="group-pm", manager_level="vp-product")
    promotion = factories.promotion(candidate=candidate, to="head-of-product", state="in_review")
    assert delegate(client_of(absent), both).status_code == 201
    assert vote(client_of(both), promotion, on_behalf_of=absent.username).status_code == 201
    url = f"/api/v1/promotions/{promotion.pk}/approve/"
    sent_on = client_of(factories.committee_member()).post(url, {}, format="json")
    assert sent_on.json()["state"] == "awaiting_executive"
    refused(client_of(both).post(url, {}, format="json"), 403, "took_part_before")
    assert client_of(factories.executive()).post(url, {}, format="json").status_code == 200
