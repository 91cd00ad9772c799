import socket

import pytest
from django.db import connection

from config.celery import app as celery_app

pytestmark = pytest.mark.django_db


@pytest.fixture
def broker(settings):
    """Point the Celery app at a broker for one test, as production settings would."""
    original = celery_app.conf.broker_url

    def use(url: str):
        settings.CELERY_TASK_ALWAYS_EAGER = False
        celery_app.conf.broker_url = url

    yield use
    celery_app.conf.broker_url = original


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_healthy_without_a_broker(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": True}}


def test_database_down_is_503(client, monkeypatch):
    def broken_cursor(*args, **kwargs):
        raise connection.Database.OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", broken_cursor)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["database"] is False


@pytest.mark.services
def test_healthy_with_the_real_redis_broker(client, broker, settings):
    broker(settings.TEST_REDIS_URL)
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": True, "broker": True}


def test_unreachable_broker_is_503(client, broker):
    broker(f"redis://127.0.0.1:{free_port()}/0")
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["broker"] is False


def test_healthz_is_exempt_from_the_https_redirect(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_REDIRECT_EXEMPT = [r"^healthz/?$"]
    assert client.get("/healthz").status_code == 200
    assert client.get("/api/v1/schema/").status_code == 301
