"""The cache (throttle counters) going down degrades rate limiting instead of failing writes, and
/readyz says so; the client address for limits and lockouts trusts only TRUSTED_PROXY_COUNT
proxies' entries of X-Forwarded-For."""

import logging

import pytest
from django.core.cache import cache
from django.test import RequestFactory
from rest_framework.test import APIClient

from config import throttling
from core.client_address import client_address
from tests import factories

pytestmark = pytest.mark.django_db

DEAD_REDIS = "redis://127.0.0.1:9/0"  # nothing listens on port 9


@pytest.fixture
def cache_down(settings):
    settings.CACHE_URL = DEAD_REDIS
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": DEAD_REDIS,
            "OPTIONS": {"socket_connect_timeout": 0.3, "socket_timeout": 0.5},
        }
    }
    settings.API_THROTTLE_RATES = {"writes": "5/min", "login": "5/min"}


def test_writes_and_logins_go_through_when_the_cache_is_down(cache_down, people, as_user, caplog):
    from promotions.models import Promotion

    caplog.set_level(logging.WARNING, logger=throttling.__name__)  # whatever the root's level

    manager = as_user(people["manager"])
    response = manager.post(
        "/api/v1/promotions/",
        {
            "candidate": people["candidate_member"].pk,
            "to_level": "senior-pm",
            "justification": "Ready.",
            "evidence": factories.evidence_for("senior-pm"),
        },
        format="json",
    )
    assert response.status_code == 201
    promotion = Promotion.objects.get()
    committee = as_user(people["committee"])
    assert (
        committee.post(
            f"/api/v1/promotions/{promotion.pk}/start-review/", {}, format="json"
        ).status_code
        == 200
    )
    login = APIClient().post(
        "/api/v1/auth/token/",
        {"username": people["candidate"].username, "password": "correct-horse-battery-staple"},
        format="json",
    )
    assert login.status_code == 200
    assert "the cache does not answer" in caplog.text


def test_readyz_reports_the_cache_and_healthz_does_not_ask_it(cache_down, client):
    response = client.get("/readyz")
    assert response.status_code == 200  # the database answers: still serving
    assert response.json()["checks"]["cache"] == "down"
    assert response.json()["status"] == "degraded"
    response = client.get("/healthz")  # liveness: a restart would not bring the cache back
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok"}


@pytest.mark.services
def test_readyz_reports_a_live_cache(settings, client):
    settings.CACHE_URL = settings.TEST_REDIS_URL
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": settings.TEST_REDIS_URL,
        }
    }
    body = client.get("/readyz").json()
    assert body["checks"]["cache"] == "ok" and body["status"] == "ok"


def request_from(peer: str, forwarded: str | None):
    meta = {"REMOTE_ADDR": peer}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **meta)


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "1.2.3.4", "10.0.0.9"),  # no trusted proxy: the header is ignored
        (1, "6.6.6.6, 1.2.3.4", "1.2.3.4"),  # the proxy appended the real client
        (2, "6.6.6.6, 1.2.3.4, 10.0.0.2", "1.2.3.4"),
        (1, None, "10.0.0.9"),
        (3, "1.2.3.4", "1.2.3.4"),  # fewer hops than proxies: the earliest
    ],
)
def test_the_client_address_trusts_only_the_configured_proxies(
    settings, proxies, forwarded, expected
):
    settings.TRUSTED_PROXY_COUNT = proxies
    assert client_address(request_from("10.0.0.9", forwarded)) == expected


def test_rotating_x_forwarded_for_does_not_escape_the_login_limit(settings, people):
    cache.clear()
    settings.API_THROTTLE_RATES = {"writes": "1000/min", "login": "3/min"}
    statuses = []
    for n in range(6):
        response = APIClient().post(
            "/api/v1/auth/token/",
            {"username": f"nobody{n}", "password": "wrong"},
            format="json",
            HTTP_X_FORWARDED_FOR=f"203.0.113.{n}",
        )
        statuses.append(response.status_code)
    assert statuses[:3] == [401, 401, 401]  # no such user
    assert statuses[3:] == [429, 429, 429]
