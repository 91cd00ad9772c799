from collections import Counter

import pytest
from django.db import connection
from rest_framework.test import APIClient

from promotions.models import NominationKey, Promotion, PromotionEvent
from tests import factories
from tests.concurrency import at_once

pytestmark = pytest.mark.django_db


def body(people, justification="Ready."):
    return {
        "candidate": people["candidate_member"].id,
        "to_level": "senior-pm",
        "justification": justification,
        "evidence": factories.evidence_for("senior-pm"),
    }


def test_the_same_key_and_body_return_the_first_response_and_create_one_row(as_user, people):
    client = as_user(people["manager"])
    first = client.post(
        "/api/v1/promotions/", body(people), format="json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    again = client.post(
        "/api/v1/promotions/", body(people), format="json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert Promotion.objects.count() == 1
    assert PromotionEvent.objects.count() == 1


def test_the_same_key_with_another_body_is_422(as_user, people):
    client = as_user(people["manager"])
    client.post("/api/v1/promotions/", body(people), format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    response = client.post(
        "/api/v1/promotions/", body(people, "Other."), format="json", HTTP_IDEMPOTENCY_KEY="k-2"
    )
    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert Promotion.objects.count() == 1


def test_keys_belong_to_their_user(as_user, people):
    as_user(people["manager"]).post(
        "/api/v1/promotions/", body(people), format="json", HTTP_IDEMPOTENCY_KEY="shared"
    )
    response = as_user(people["hr"]).post(
        "/api/v1/promotions/", body(people), format="json", HTTP_IDEMPOTENCY_KEY="shared"
    )
    assert response.status_code == 409  # HR's own request: the promotion is already open


@pytest.mark.parametrize("key", ["", "x" * 256, "naïve", "tab\there"])
def test_a_malformed_key_is_400(as_user, people, key):
    response = as_user(people["manager"]).post(
        "/api/v1/promotions/", body(people), format="json", HTTP_IDEMPOTENCY_KEY=key
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_idempotency_key"
    assert Promotion.objects.count() == 0


def test_a_failed_request_is_not_remembered(as_user, people):
    client = as_user(people["manager"])
    bad = {**body(people), "to_level": "cpo"}
    assert (
        client.post(
            "/api/v1/promotions/", bad, format="json", HTTP_IDEMPOTENCY_KEY="k-3"
        ).status_code
        == 400
    )
    assert NominationKey.objects.count() == 0


@pytest.mark.services
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_ten_concurrent_retries_with_one_key_create_one_promotion(people):
    assert connection.vendor == "postgresql"
    token = factories.token_for(people["manager"])

    def retry():
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        return client.post(
            "/api/v1/promotions/", body(people), format="json", HTTP_IDEMPOTENCY_KEY="same"
        )

    responses = at_once(*[retry] * 10)
    assert Counter(r.status_code for r in responses) == Counter({201: 10})
    assert len({r.json()["id"] for r in responses}) == 1
    assert Promotion.objects.count() == 1


def test_keys_are_forgotten_after_a_day(as_user, people):
    from datetime import timedelta

    from django.utils import timezone

    from promotions.services import nomination_keys_purge
    from promotions.tasks import promotions_purge_idempotency_keys

    client = as_user(people["manager"])
    client.post("/api/v1/promotions/", body(people), format="json", HTTP_IDEMPOTENCY_KEY="old")
    assert nomination_keys_purge() == 0  # a fresh key stays
    NominationKey.objects.update(created_at=timezone.now() - timedelta(hours=25))
    assert promotions_purge_idempotency_keys.delay().get() == 1
    assert NominationKey.objects.count() == 0
    assert Promotion.objects.count() == 1  # the promotion itself is untouched
