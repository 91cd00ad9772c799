"""Real `celery worker` processes on Redis, arranged as `make worker` and `make webhook-worker`
arrange them (their `-Q` read from the Makefile), against a real receiver on 127.0.0.1 (issue 21,
items 12 and 13; docs/webhooks.md):

- the receiver fails for a while, the endpoint is disabled, events go on happening and are held;
  enabling it delivers every one of them, in the order they were written, once;
- a receiver that hangs past the 5 s timeout holds the webhook worker, never the e-mail one."""

import re
import time
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from django.db import transaction
from django.utils import timezone
from rest_framework.test import APIClient

from config.celery import app as celery_app
from core.outbox import DELIVERED
from notifications.models import Notification
from notifications.services import notifications_create
from tests import factories
from tests.notifications.conftest import wait_for
from tests.notifications.deliveries import emails
from tests.webhooks.conftest import emit
from webhooks.models import Delivery, DeliveryStatus, Endpoint

ROOT = Path(__file__).resolve().parents[2]


def makefile_queues(target: str) -> str:
    """The `-Q` of a Makefile target's celery command: the test runs the workers as make does."""
    recipe = re.search(rf"^{re.escape(target)}:.*\n\t(.+)$", (ROOT / "Makefile").read_text(), re.M)
    assert recipe, f"no `make {target}`"
    queues = re.search(r"-Q (\S+)", recipe.group(1))
    assert queues, f"`make {target}` names no queue: {recipe.group(1)}"
    return queues.group(1)


def test_e_mail_and_webhooks_have_separate_queues_and_workers():
    route = celery_app.amqp.router.route
    assert route({}, "webhooks.tasks.webhooks_deliver")["queue"].name == "webhooks"
    assert route({}, "webhooks.tasks.webhooks_release")["queue"].name == "webhooks"
    for task in ("notifications.tasks.notifications_deliver", "webhooks.tasks.webhooks_sweep"):
        assert route({}, task)["queue"].name == "celery", task
    assert makefile_queues("worker") == "celery"
    assert makefile_queues("webhook-worker") == "webhooks"
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    commands = {name: " ".join(service.get("command") or []) for name, service in services.items()}
    assert "-Q celery" in commands["worker"]
    assert "-Q webhooks" in commands["webhook-worker"]
    assert "webhooks@" in " ".join(services["webhook-worker"]["healthcheck"]["test"])


@pytest.fixture
def two_workers(worker_process):
    """The e-mail worker and the webhook worker, as make starts them; retries after 1 s."""
    env = {
        "WEBHOOKS_RETRY_BACKOFF_SECONDS": "1",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    }
    for target in ("worker", "webhook-worker"):
        worker_process(queues=makefile_queues(target), env=env)
    return worker_process


def attempts_of(endpoint: Endpoint) -> int:
    return Endpoint.objects.get(pk=endpoint.pk).consecutive_failures


@pytest.mark.services
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_events_during_an_outage_are_held_and_delivered_in_order_once_when_enabled(
    two_workers, receiver, endpoint_for
):
    hr = factories.hr_user(email="hr@example.test")
    endpoint = endpoint_for(receiver)
    receiver.script = [500] * 10_000  # down until the test says otherwise

    # The receiver fails; events keep coming and every attempt fails.
    before = emit(count=3)
    assert wait_for(lambda: attempts_of(endpoint) >= 6, timeout=60), two_workers.log()
    assert Endpoint.objects.get(pk=endpoint.pk).is_active  # a burst does not disable it
    # Every attempt has failed for WEBHOOKS_DISABLE_AFTER_HOURS (72): time moved on, as if the
    # outage had lasted that long. The next failure disables the endpoint.
    Endpoint.objects.filter(pk=endpoint.pk).update(
        failing_since=timezone.now() - timedelta(hours=72, minutes=1)
    )
    before += emit(count=1)
    assert wait_for(lambda: not Endpoint.objects.get(pk=endpoint.pk).is_active, timeout=30)
    # HR hears of it, by e-mail, from the default queue's worker.
    assert wait_for(
        lambda: (
            emails(Notification.objects.filter(recipient=hr, kind="webhook_disabled"))
            .filter(status=DELIVERED)
            .exists()
        ),
        timeout=30,
    ), two_workers.log()

    # Events go on happening while it is disabled: written, held, nothing sent.
    during = emit(count=6)
    deliveries = Delivery.objects.filter(endpoint=endpoint)
    assert wait_for(lambda: set(deliveries.values_list("status", flat=True)) == {"held"}, 30)
    assert deliveries.count() == len(before) + len(during) == 10
    sent_while_down = len(receiver.requests)
    time.sleep(2)  # retries published before it was disabled find their deliveries held
    assert len(receiver.requests) == sent_while_down
    assert all(request["answer"] == 500 for request in receiver.requests)

    # The receiver is back; HR enables the endpoint.
    receiver.script = []
    client = APIClient()
    client.force_authenticate(hr)
    enabled = client.patch(f"/api/v1/webhooks/{endpoint.pk}/", {"is_active": True}, format="json")
    assert enabled.status_code == 200, enabled.json()
    assert wait_for(
        lambda: set(deliveries.values_list("status", flat=True)) == {"delivered"}, timeout=60
    ), two_workers.log()
    time.sleep(1.5)  # anything extra would arrive now

    after = receiver.requests[sent_while_down:]
    written = list(deliveries.order_by("created_at", "id").values_list("webhook_id", flat=True))
    assert [d.webhook_id for d in before + during] == written
    arrived = [request["headers"]["webhook-id"] for request in after]
    assert arrived == written, "every held delivery, in the order written, each once"
    assert all(request["answer"] == 200 for request in after)
    assert set(deliveries.values_list("attempts", flat=True)) >= {1}
    endpoint.refresh_from_db()
    assert (endpoint.is_active, endpoint.consecutive_failures, endpoint.releasing_until) == (
        True,
        0,
        None,
    )


@pytest.mark.services
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_receiver_that_hangs_does_not_delay_e_mail(two_workers, receiver, endpoint_for):
    recipient = factories.hr_user(email="someone@example.test")
    endpoint_for(receiver)
    receiver.script = ["hang"] * 100
    receiver.hang_seconds = 8  # past the sender's 5 s: each attempt holds a worker for 5 s
    stuck = emit(count=4)  # 20 s of work for one webhook worker
    assert wait_for(lambda: receiver.requests, timeout=60), two_workers.log()

    # An e-mail, while the webhook worker hangs on the receiver.
    started = time.monotonic()
    with transaction.atomic():
        (notification,) = notifications_create(
            recipient_ids=[recipient.pk], kind="test", subject="Hello", body="While it hangs."
        )
    assert wait_for(
        lambda: emails([notification]).filter(status=DELIVERED).exists(),
        timeout=30,
        interval=0.05,
    ), two_workers.log()
    elapsed = time.monotonic() - started
    print(f"the e-mail went out {elapsed:.2f}s after it was written")
    assert elapsed < 3.0, f"the e-mail waited {elapsed:.2f}s behind the webhooks"
    # ...while the webhooks were still stuck.
    delivered = Delivery.objects.filter(
        pk__in=[d.pk for d in stuck], status=DeliveryStatus.DELIVERED
    )
    assert delivered.count() == 0
    assert len(receiver.requests) <= 2
