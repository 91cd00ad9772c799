"""Integers beyond 64 bits (or not whole) in a filter, a body, an admin lookup or a path are a
clean 4xx on both databases: 400 in a filter, body or lookup; in a path, no such object (404; the
admin redirects). test_input_classes.py runs this module on SQLite as well."""

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db

HUGE = "99999999999999999999"


@pytest.fixture
def hr(people, as_user, in_review):
    in_review()
    return as_user(people["hr"])


@pytest.mark.parametrize("value", [HUGE, f"-{HUGE}", "4.0", "1e3", "0"])
def test_an_id_filter_takes_whole_numbers_from_1_to_2_63(hr, value):
    response = hr.get(f"/api/v1/promotions/?candidate={value}")
    assert response.status_code == 400, response.content
    assert "candidate" in response.json()["errors"]


def test_a_huge_id_in_a_body_is_400(hr):
    body = {
        "candidate": int(HUGE),
        "to_level": "senior-pm",
        "justification": "x",
        "evidence": factories.evidence_for("senior-pm"),
    }
    assert hr.post("/api/v1/promotions/", body, format="json").status_code == 400


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", f"/api/v1/promotions/{HUGE}/"),
        ("get", f"/api/v1/promotions/{HUGE}/timeline/"),
        ("post", f"/api/v1/promotions/{HUGE}/approve/"),
        ("get", f"/api/v1/members/{HUGE}/"),
        ("patch", f"/api/v1/members/{HUGE}/"),
        ("post", f"/api/v1/notifications/{HUGE}/read/"),
        ("get", f"/api/v1/webhooks/{HUGE}/"),
        ("delete", f"/api/v1/webhooks/{HUGE}/"),
        ("get", f"/api/v1/webhooks/{HUGE}/deliveries/"),
        ("post", f"/api/v1/webhooks/1/deliveries/{HUGE}/redeliver/"),
    ],
)
def test_a_huge_id_in_a_path_is_no_such_object(hr, method, path):
    response = getattr(hr, method)(path, {}, format="json")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_every_admin_filter_refuses_a_huge_number(people, in_review):
    in_review()
    client = Client()
    client.force_login(factories.UserFactory(is_superuser=True, is_staff=True))
    walked = 0
    for model in admin.site._registry:
        base = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        page = client.get(base)
        cl = page.context["cl"]
        for spec in cl.filter_specs:
            for parameter in spec.expected_parameters():
                if parameter.endswith(("__id__exact", "__exact")) and "__id" in parameter:
                    response = client.get(f"{base}?{parameter}={HUGE}")
                    assert response.status_code == 400, (model, parameter)
                    walked += 1
        # A huge id in the path: "doesn't exist", back to the index.
        response = client.get(
            reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_change", args=[HUGE])
        )
        assert response.status_code == 302, model
    assert walked >= 3
