"""Configuration changes are audited like people's records: who, when, by which route, the values
before and after, in an append-only table HR reads. The tests walk every route that changes a
cycle, a webhook endpoint, a level, a criterion or an allowed move: the API, the admin (forms,
inlines, the list's editable column, delete) and the scheduler."""

from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.db.utils import InternalError, ProgrammingError
from django.test import Client
from django.urls import get_resolver
from django.utils import timezone

from audit.models import ConfigChange
from ladder.models import Criterion, Level, LevelTransition
from promotions.cycles import services as cycles
from promotions.models import Cycle
from tests import factories
from webhooks import services as webhooks
from webhooks.models import Endpoint

pytestmark = pytest.mark.django_db

URL = "http://127.0.0.1:9/hooks/payroll"
ELSEWHERE = "http://127.0.0.1:9/hooks/elsewhere"


@pytest.fixture
def hr(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_URLS = True  # the endpoints below are on loopback
    return factories.hr_user(username="harriet")


def admin_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def trail(target) -> list[tuple]:
    rows = ConfigChange.objects.filter(
        target_type=target._meta.label_lower, target_id=str(target.pk)
    ).order_by("at", "id")
    return [(c.actor, c.route, c.action, c.changes) for c in rows]


def dates(**changes) -> dict:
    today = timezone.localdate()
    plan = {
        "nominations_open_on": today,
        "nominations_close_on": today + timedelta(days=14),
        "decisions_due_on": today + timedelta(days=28),
        "effective_on": today + timedelta(days=35),
        **changes,
    }
    return {name: value.isoformat() for name, value in plan.items()}


# --- The API ------------------------------------------------------------------------------------


def test_the_reported_case_redirecting_the_payroll_webhook_and_back(hr, as_user):
    api = as_user(hr)
    created = api.post("/api/v1/webhooks/", {"url": URL, "description": "Payroll"}, format="json")
    assert created.status_code == 201
    endpoint = Endpoint.objects.get(pk=created.json()["id"])
    path = f"/api/v1/webhooks/{endpoint.pk}/"
    assert api.patch(path, {"url": ELSEWHERE}, format="json").status_code == 200
    assert api.patch(path, {"url": URL}, format="json").status_code == 200

    rows = trail(endpoint)
    assert [(actor, route, action) for actor, route, action, _ in rows] == [
        (hr, "api", "created"),
        (hr, "api", "changed"),
        (hr, "api", "changed"),
    ]
    assert rows[0][3]["url"] == {"from": None, "to": URL}
    assert rows[1][3] == {"url": {"from": URL, "to": ELSEWHERE}}
    assert rows[2][3] == {"url": {"from": ELSEWHERE, "to": URL}}
    assert all(endpoint.secret not in str(row) for row in rows)  # never the secret


def test_deleting_and_redelivering_webhooks_are_recorded(hr, as_user):
    api = as_user(hr)
    endpoint = webhooks.endpoint_create(actor=hr, url=URL, description="Payroll")
    [delivery] = webhooks.webhooks_emit(event="promotion.approved", data={"promotion": 1})
    redeliver = f"/api/v1/webhooks/{endpoint.pk}/deliveries/{delivery.pk}/redeliver/"
    assert api.post(redeliver, format="json").status_code == 202
    assert api.delete(f"/api/v1/webhooks/{endpoint.pk}/").status_code == 204
    assert not Endpoint.objects.filter(pk=endpoint.pk).exists()
    actions = [(route, action) for _, route, action, _ in trail(endpoint)]
    assert actions == [("system", "created"), ("api", "redelivered"), ("api", "deleted")]
    deleted = trail(endpoint)[-1][3]
    assert deleted["url"] == {"from": URL, "to": None}  # the record outlives the endpoint


def test_a_cycle_from_draft_to_closed_over_the_api(hr, as_user):
    api = as_user(hr)
    created = api.post(
        "/api/v1/cycles/", {"name": "Spring", "tracks": ["ic"], **dates()}, format="json"
    )
    assert created.status_code == 201, created.json()
    cycle = Cycle.objects.get(pk=created.json()["id"])
    path = f"/api/v1/cycles/{cycle.pk}/"
    later = (timezone.localdate() + timedelta(days=40)).isoformat()
    assert api.patch(path, {"effective_on": later}, format="json").status_code == 200
    for transition in ("open", "calibrate", "close"):
        response = api.post(f"{path}{transition}/", format="json")
        assert response.status_code == 200, (transition, response.json())

    rows = trail(cycle)
    assert [(actor, route, action) for actor, route, action, _ in rows] == [
        (hr, "api", "created"),
        (hr, "api", "changed"),
        (hr, "api", "open"),
        (hr, "api", "calibrating"),
        (hr, "api", "closed"),
    ]
    assert rows[0][3]["name"] == {"from": None, "to": "Spring"}
    assert rows[1][3] == {
        "effective_on": {"from": dates()["effective_on"], "to": later},
    }
    assert rows[3][3] == {"state": {"from": "open", "to": "calibrating"}}


def test_the_scheduler_moving_a_cycle_is_recorded_as_the_system(hr):
    today = timezone.localdate()
    cycle = factories.draft_cycle(hr)
    Cycle.objects.filter(pk=cycle.pk).update(
        nominations_open_on=today - timedelta(days=3),
        nominations_close_on=today - timedelta(days=1),
    )
    cycles.cycle_open(actor=hr, cycle=cycle)
    assert cycles.cycles_calibrate_due(today=today) == 1
    actor, route, action, changes = trail(cycle)[-1]
    assert (actor, route, action) == (None, "system", "calibrating")


def test_a_refused_change_records_nothing(hr, as_user):
    api = as_user(hr)
    endpoint = webhooks.endpoint_create(actor=hr, url=URL)
    cycle = factories.draft_cycle(hr)
    before = ConfigChange.objects.count()
    committee = as_user(factories.committee_member())
    assert (
        committee.patch(
            f"/api/v1/webhooks/{endpoint.pk}/", {"url": ELSEWHERE}, format="json"
        ).status_code
        == 404
    )
    assert (
        api.patch(f"/api/v1/webhooks/{endpoint.pk}/", {"url": "ftp://x"}, format="json").status_code
        == 400
    )
    assert committee.post(f"/api/v1/cycles/{cycle.pk}/open/", format="json").status_code == 403
    assert api.post(f"/api/v1/cycles/{cycle.pk}/close/", format="json").status_code == 409
    assert ConfigChange.objects.count() == before


def test_every_write_route_on_configuration_is_walked_here():
    """A new write route on cycles or webhooks must be added to the walks above (and audited)."""
    walked = {
        "cycle-list",
        "cycle-detail",
        "cycle-open",
        "cycle-calibrate",
        "cycle-close",
        "webhook-list",
        "webhook-detail",
        "webhook-redeliver",
    }
    names = {
        name
        for name in get_resolver().reverse_dict
        if isinstance(name, str) and name.split("-")[0] in ("cycle", "webhook")
    }
    reads = {"cycle-calibration", "cycle-stats", "cycle-decisions", "webhook-deliveries"}
    assert names - reads == walked, names - reads - walked


# --- The admin ----------------------------------------------------------------------------------


def test_admin_edits_of_levels_criteria_and_moves_are_recorded(hr):
    client = admin_client(hr)
    pm = Level.objects.get(code="pm")
    criterion = Criterion.objects.filter(level=pm).order_by("order").first()
    form = {
        "code": pm.code,
        "rank": pm.rank,
        "title": pm.title,
        "track": pm.track,
        "min_months_in_level": 6,
        "position": pm.position,
        "mission": pm.mission,
        "goal": pm.goal,
        "criteria-TOTAL_FORMS": "1",
        "criteria-INITIAL_FORMS": "1",
        "criteria-0-id": criterion.pk,
        "criteria-0-level": pm.pk,
        "criteria-0-order": criterion.order,
        "criteria-0-code": criterion.code,
        "criteria-0-title": "Reworded",
        "criteria-0-description": criterion.description,
        "criteria-0-is_active": "on",
        "moves_out-TOTAL_FORMS": "0",
        "moves_out-INITIAL_FORMS": "0",
    }
    response = client.post(f"/admin/ladder/level/{pm.pk}/change/", form)
    assert response.status_code == 302, response.context["adminform"].form.errors
    [(actor, route, action, changes)] = trail(pm)
    assert (actor, route, action) == (hr, "admin", "changed")
    assert changes == {"min_months_in_level": {"from": 12, "to": 6}}
    [(_, _, action, changes)] = trail(criterion)
    assert action == "changed" and changes["title"]["to"] == "Reworded"

    move = LevelTransition.objects.get(from_level__code="pm")
    response = client.post(  # the list's editable "Is active" column
        "/admin/ladder/leveltransition/",
        {"form-TOTAL_FORMS": "1", "form-INITIAL_FORMS": "1", "form-0-id": move.pk, "_save": "Save"},
    )
    assert response.status_code == 302
    [(_, route, action, changes)] = trail(move)
    assert (route, action, changes) == (
        "admin",
        "changed",
        {"is_active": {"from": True, "to": False}},
    )

    criterion_page = f"/admin/ladder/criterion/{criterion.pk}/change/"
    response = client.post(
        criterion_page,
        {
            "level": pm.pk,
            "order": criterion.order,
            "code": criterion.code,
            "title": "Reworded again",
            "description": criterion.description,
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert trail(criterion)[-1][3] == {
        "is_active": {"from": True, "to": False},
        "title": {"from": "Reworded", "to": "Reworded again"},
    }


def test_admin_changes_to_cycles_and_webhooks_are_recorded(hr):
    client = admin_client(hr)
    response = client.post(
        "/admin/webhooks/endpoint/add/",
        {"url": URL, "description": "Payroll", "is_active": "on", "_save": "Save"},
    )
    assert response.status_code in (200, 302)
    endpoint = Endpoint.objects.get(description="Payroll")
    response = client.post(f"/admin/webhooks/endpoint/{endpoint.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert [(route, action) for _, route, action, _ in trail(endpoint)] == [
        ("admin", "created"),
        ("admin", "deleted"),
    ]

    plan = {"name": "Autumn", "tracks": ["ic"], **dates()}
    assert client.post("/admin/promotions/cycle/add/", plan).status_code == 302
    cycle = Cycle.objects.get(name="Autumn")
    response = client.post(f"/admin/promotions/cycle/{cycle.pk}/transition/", {"action": "open"})
    assert response.status_code == 302
    assert [(actor, route, action) for actor, route, action, _ in trail(cycle)] == [
        (hr, "admin", "created"),
        (hr, "admin", "open"),
    ]


# --- The record itself --------------------------------------------------------------------------


def test_hr_reads_the_trail_and_nobody_else(hr):
    webhooks.endpoint_create(actor=hr, url=URL, description="Payroll")
    page = admin_client(hr).get("/admin/audit/configchange/")
    assert page.status_code == 200 and "Payroll" in page.content.decode()
    for user in (factories.committee_member(), factories.MemberFactory().user):
        user.is_staff = True
        user.save()
        assert admin_client(user).get("/admin/audit/configchange/").status_code == 403


def test_the_trail_is_never_updated_or_deleted(hr):
    endpoint = webhooks.endpoint_create(actor=hr, url=URL)
    row = ConfigChange.objects.get(target_id=str(endpoint.pk), target_type="webhooks.endpoint")
    with pytest.raises(TypeError):
        row.save()
    with pytest.raises(TypeError):
        row.delete()
    with pytest.raises(TypeError):
        ConfigChange.objects.update(action="x")
    page = admin_client(hr).post(f"/admin/audit/configchange/{row.pk}/delete/", {"post": "yes"})
    assert page.status_code == 403
    if connection.vendor == "postgresql":
        for sql in (
            "UPDATE audit_configchange SET action = 'x'",
            "DELETE FROM audit_configchange",
        ):
            with (
                pytest.raises((InternalError, ProgrammingError)),
                transaction.atomic(),
                connection.cursor() as cursor,
            ):
                cursor.execute(sql)
