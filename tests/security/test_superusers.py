"""A superuser's records are out of reach of everyone else, HR included, on every route: nothing
that belongs to a superuser is created, changed or deactivated by a non-superuser."""

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.test import Client, RequestFactory
from django.urls import reverse

from ladder.models import Level, Member, MemberChange
from promotions import services
from promotions.models import Promotion
from promotions.packets import services as packets
from tests import factories

pytestmark = pytest.mark.django_db
User = get_user_model()


@pytest.fixture
def root(people):
    """A superuser who is also on the ladder, with a promotion, notifications and a token."""
    user = factories.UserFactory(is_superuser=True, is_staff=True, username="root")
    member = factories.MemberFactory(user=user, level=Level.objects.get(code="pm"))
    member.manager = people["candidate_member"].manager
    member.save()
    services.promotion_nominate(  # a superuser's case is opened by a superuser
        candidate=member,
        to_level=Level.objects.get(code="senior-pm"),
        nominated_by=factories.UserFactory(is_superuser=True, is_staff=True),
        justification="Ready.",
        evidence=factories.evidence_for("senior-pm"),
    )
    factories.token_for(user)
    return user


def owned_by(user, model):
    """The rows of `model` that belong to `user`: the account itself, or rows pointing at it or
    at its place on the ladder."""
    if model is User:
        return model.objects.filter(pk=user.pk)
    links = [
        field.name
        for field in model._meta.get_fields()
        if getattr(field, "concrete", False)
        and (field.many_to_one or field.one_to_one)
        and field.related_model in (User, Member)
    ]
    rows = model.objects.none()
    for name in links:
        target = user if model._meta.get_field(name).related_model is User else user.member
        rows |= model.objects.filter(**{name: target})
    return rows


def test_nothing_of_a_superusers_is_within_hrs_reach_in_any_admin(root, people):
    request = RequestFactory().get("/admin/")
    request.user = people["hr"]
    checked = 0
    for model, model_admin in admin.site._registry.items():
        for obj in owned_by(root, model):
            visible = model_admin.get_queryset(request).filter(pk=obj.pk).exists()
            writable = model_admin.has_change_permission(
                request, obj
            ) or model_admin.has_delete_permission(request, obj)
            assert not (visible and writable), (model.__name__, obj)
            checked += 1
    assert checked >= 4  # the user, the member, the promotion, notifications, the token


def test_hr_cannot_place_a_superuser_on_the_ladder_with_a_forged_id(people):
    root = factories.UserFactory(is_superuser=True, is_staff=True)
    client = Client()
    client.force_login(people["hr"])
    response = client.post(
        "/admin/ladder/member/add/",
        {
            "user": root.pk,
            "level": Level.objects.get(code="pm").pk,
            "level_since": "2025-01-01",
            "is_active": "on",
            "level_changes-TOTAL_FORMS": "0",
            "level_changes-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200  # the form again, with its error
    assert "user" in response.context["adminform"].form.errors
    assert not Member.objects.filter(user=root).exists()


def test_hr_cannot_change_or_deactivate_a_superuser_over_the_api(root, people, as_user):
    hr = as_user(people["hr"])
    for change in ({"email": "evil@example.com"}, {"is_active": False}, {"manager": None}):
        response = hr.patch(f"/api/v1/members/{root.member.pk}/", change, format="json")
        assert response.status_code == 403, change
        assert response.json()["code"] == "superuser_protected"
    root.refresh_from_db()
    assert root.is_active and root.email != "evil@example.com"
    assert not MemberChange.objects.filter(user=root).exists()


def test_hr_cannot_reach_a_superusers_account_pages(root, people):
    client = Client()
    client.force_login(people["hr"])
    for view in ("change", "password_change", "delete", "history"):
        url = reverse(f"admin:auth_user_{view}", args=[root.pk])
        response = client.post(url, {"password1": "x" * 20, "password2": "x" * 20, "post": "yes"})
        assert response.status_code in (302, 403, 404), (view, response.status_code)
        if response.status_code == 302:
            assert response["Location"].endswith("/admin/")  # "doesn't exist" → admin index
    root.refresh_from_db()
    assert root.check_password(factories.PASSWORD)
    member_change = reverse("admin:ladder_member_change", args=[root.member.pk])
    response = client.post(member_change, {"manager": "", "is_active": ""})
    assert response.status_code == 403
    root.member.refresh_from_db()
    assert root.member.is_active


def test_a_superuser_may(root, as_user):
    boss = as_user(factories.UserFactory(is_superuser=True, is_staff=True))
    response = boss.patch(
        f"/api/v1/members/{root.member.pk}/", {"email": "r@example.com"}, format="json"
    )
    assert response.status_code == 200


def test_hr_cannot_open_or_withdraw_a_superusers_case(root, people, as_user):
    hr = as_user(people["hr"])
    response = hr.post(
        "/api/v1/promotions/",
        {
            "candidate": root.member.pk,
            "to_level": "senior-pm",
            "justification": "x",
            "evidence": factories.evidence_for("senior-pm"),
        },
        format="json",
    )
    assert response.status_code in (403, 409)  # refused (an open case exists as well)
    promotion = root.member.promotions.get()
    response = hr.post(f"/api/v1/promotions/{promotion.pk}/withdraw/", {}, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "superuser_protected"


def test_accounts_with_rights_beyond_hrs_are_for_superusers(people):
    from django.contrib.auth.models import Group, Permission

    auditor = factories.UserFactory(is_staff=True)
    auditor.groups.add(Group.objects.create(name="Auditors"))
    powerful = factories.UserFactory(is_staff=True)
    powerful.user_permissions.add(Permission.objects.get(codename="change_group"))
    client = Client()
    client.force_login(people["hr"])
    for user in (auditor, powerful):
        url = reverse("admin:auth_user_password_change", args=[user.pk])
        response = client.post(url, {"password1": "x-Very-long-9", "password2": "x-Very-long-9"})
        assert response.status_code in (302, 404)
        user.refresh_from_db()
        assert user.check_password(factories.PASSWORD)  # unchanged
    assert list(auditor.groups.values_list("name", flat=True)) == ["Auditors"]


def _superusers_case(state: str):
    """A superuser's promotion, opened by another superuser, brought to `state`."""
    boss = factories.UserFactory(is_superuser=True, is_staff=True)
    candidate = factories.MemberFactory(
        user=factories.UserFactory(is_superuser=True, is_staff=True),
        level=Level.objects.get(code="pm"),
    )
    case = factories.promotion(candidate=candidate, to="senior-pm", by=boss)
    if state in ("in_review", "changes_requested"):
        case = services.promotion_start_review(promotion=case, actor=factories.committee_member())
    if state == "changes_requested":
        case = services.promotion_request_changes(
            promotion=case, actor=factories.committee_member(), note="More evidence."
        )
        packets.packet_submit(
            promotion=case,
            actor=boss,
            justification="Reworked.",
            evidence=factories.evidence_for("senior-pm"),
        )
    return case, boss


NOMINATORS_WORK_ROUTES = {  # every route of the nominator's work, and the body it takes
    "withdraw": lambda p: (f"/api/v1/promotions/{p.pk}/withdraw/", {}),
    "resubmit": lambda p: (f"/api/v1/promotions/{p.pk}/resubmit/", {}),
    "submit-packet": lambda p: (
        f"/api/v1/promotions/{p.pk}/packet/",
        {"justification": "Rewritten by HR.", "evidence": factories.evidence_for("senior-pm")},
    ),
}


@pytest.mark.parametrize("state", ["nominated", "in_review", "changes_requested"])
def test_hr_does_none_of_the_nominators_work_on_a_superusers_case(state, as_user):
    """The reported case: withdraw was refused, but the packet (201) and resubmit (200) were
    not, and available_transitions offered HR a withdraw it then refused. Walks every action of
    the nominator's work in every state that has one: refused (403, superuser_protected) where
    the state allows it, and never offered."""
    from promotions import permissions

    assert set(NOMINATORS_WORK_ROUTES) == set(permissions.NOMINATORS_WORK)
    case, boss = _superusers_case(state)
    hr = as_user(factories.hr_user())
    detail = hr.get(f"/api/v1/promotions/{case.pk}/").json()
    assert not set(detail["available_transitions"]) & set(NOMINATORS_WORK_ROUTES)
    for action, route in NOMINATORS_WORK_ROUTES.items():
        if not permissions.state_allows(action, case):
            continue
        path, body = route(case)
        response = hr.post(path, body, format="json")
        assert response.status_code == 403, (action, response.status_code)
        assert response.json()["code"] == "superuser_protected", action
    case = Promotion.objects.get(pk=case.pk)
    assert case.state == state
    assert case.packet_versions.count() == (2 if state == "changes_requested" else 1)
    # The superuser who nominated may; the list and the detail offer it to them.
    offered = as_user(boss).get(f"/api/v1/promotions/{case.pk}/").json()["available_transitions"]
    assert "withdraw" in offered
    listed = as_user(boss).get("/api/v1/promotions/").json()["results"]
    assert (
        "withdraw" in next(row for row in listed if row["id"] == case.pk)["available_transitions"]
    )


def test_only_hr_is_told_that_a_case_is_a_superusers(as_user):
    """The committee may not do the nominator's work on any case: it is refused as on any other
    case, not with `superuser_protected`, which would tell who the candidate is of a case it may
    read blind (the second outside review's finding)."""
    case, _ = _superusers_case("nominated")
    committee = as_user(factories.committee_member())
    ordinary = factories.promotion(state="nominated")
    for promotion in (case, ordinary):
        response = committee.post(f"/api/v1/promotions/{promotion.pk}/withdraw/", {}, format="json")
        assert response.status_code == 403
        assert response.json()["code"] == "permission_denied", response.json()


def test_the_admin_desk_offers_hr_no_withdraw_on_a_superusers_case():
    case, _ = _superusers_case("nominated")
    client = Client()
    client.force_login(factories.hr_user())
    page = client.get(reverse("admin:promotions_promotion_change", args=[case.pk]))
    assert page.status_code == 200
    assert 'value="withdraw"' not in page.content.decode()
