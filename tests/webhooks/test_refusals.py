"""A refused webhook URL says which rule it broke, never what the server's resolver answered
(issue 21, item 10): no address a name resolved to, no errno or resolver text. Otherwise HR could
map internal names by trying them ("resolves to 10.1.2.3", "does not resolve ([Errno -2] ...)").
Every refusal path of core/destinations.py, as the check raises it, as the API answers it
(create and change), as the admin form shows it, and as a delivery's `last_error` records it."""

import ipaddress
import re
import socket

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from core.destinations import destination_check
from core.errors import DestinationRefused
from tests import factories
from tests.webhooks.conftest import emit_unsent
from tests.webhooks.test_destinations import HOST, MALFORMED, NOT_PUBLIC, PUBLIC
from webhooks import services
from webhooks.models import Delivery, Endpoint

pytestmark = pytest.mark.django_db

# Names the made-up DNS answers for, and how: the answers must never come back to HR.
SECRET_ANSWERS = {
    "intranet.example.test": [["10.1.2.3"]],
    "metadata.example.test": [["169.254.169.254"]],
    "loopback6.example.test": [["::1"]],
    "mixed.example.test": [[PUBLIC, "10.0.0.7"]],
    "gone.example.test": [socket.gaierror(socket.EAI_NONAME, "Name or service not known")],
    "flaky.example.test": [socket.gaierror(socket.EAI_AGAIN, "Temporary failure in resolution")],
    "broken.example.test": [OSError(101, "Network is unreachable")],
    "empty.example.test": [[]],
}
RESOLVER_WORDS = ("errno", "name or service", "temporary failure", "unreachable", "gaierror")
UNRESOLVED = "could not be resolved"
NOT_PUBLIC_RULE = "must resolve only to public addresses"


def addresses_in(text: str) -> list[str]:
    """Every IP literal in `text` (v4 or v6, any form ipaddress reads)."""
    found = []
    for token in re.findall(r"[0-9A-Fa-f:.]{2,}", text):
        token = token.strip(".:")
        try:
            found.append(str(ipaddress.ip_address(token)))
        except ValueError:
            continue
    return found


def assert_tells_nothing(text: str, *, typed_url: str = "") -> None:
    """No address and no resolver text, except an address HR typed in the URL itself."""
    typed = addresses_in(typed_url)
    leaked = [address for address in addresses_in(text) if address not in typed]
    assert leaked == [], f"{text!r} names {leaked}"
    assert not any(word in text.lower() for word in RESOLVER_WORDS), text


@pytest.fixture
def production_like(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_URLS = False
    settings.WEBHOOKS_REQUIRE_HTTPS = True
    return settings


@pytest.fixture
def dns(fake_dns):
    fake_dns.names.update({HOST: [[PUBLIC]], **SECRET_ANSWERS})
    return fake_dns


def refused_urls() -> list[str]:
    names = [f"https://{name}/hooks" for name in SECRET_ANSWERS]
    return names + [url for url, _ in NOT_PUBLIC] + [url for url, _ in MALFORMED]


def test_every_refusal_of_the_check_names_the_rule_only(production_like, dns):
    for url in refused_urls():
        with pytest.raises(DestinationRefused) as refused:
            destination_check(url)
        message = refused.value.message
        assert_tells_nothing(message)  # not even an address typed in the URL: it is not echoed
    for name in ("gone", "flaky", "broken", "empty"):
        with pytest.raises(DestinationRefused) as refused:
            destination_check(f"https://{name}.example.test/")
        assert UNRESOLVED in refused.value.message
    for name in ("intranet", "metadata", "loopback6", "mixed"):
        with pytest.raises(DestinationRefused) as refused:
            destination_check(f"https://{name}.example.test/")
        assert NOT_PUBLIC_RULE in refused.value.message


def test_the_api_answers_the_rule_only_on_create_and_on_change(production_like, dns):
    client = APIClient()
    client.force_authenticate(factories.hr_user())
    created = client.post("/api/v1/webhooks/", {"url": f"https://{HOST}/hooks"}, format="json")
    assert created.status_code == 201
    path = f"/api/v1/webhooks/{created.json()['id']}/"
    for url in refused_urls():
        for response in (
            client.post("/api/v1/webhooks/", {"url": url}, format="json"),
            client.patch(path, {"url": url}, format="json"),
        ):
            assert response.status_code == 400, (url, response.content)
            assert_tells_nothing(response.content.decode(), typed_url=url)
    assert Endpoint.objects.count() == 1


def test_the_admin_form_shows_the_rule_only(production_like, dns):
    client = Client()
    client.force_login(factories.hr_user())
    add = reverse("admin:webhooks_endpoint_add")
    for url in refused_urls():
        if "\x00" in url or len(url) > 2000:
            continue  # refused by the form field itself, before the check
        response = client.post(add, {"url": url, "description": "", "_save": "Save"})
        assert response.status_code == 200, url
        errors = " ".join(str(e) for e in response.context["adminform"].form.errors.values())
        assert errors, url
        assert_tells_nothing(errors)
        # The page shows what HR typed, and nothing the resolver said.
        assert_tells_nothing(response.content.decode(), typed_url=url)
    assert not Endpoint.objects.exists()


@pytest.mark.parametrize("name", sorted(SECRET_ANSWERS))
def test_a_delivery_refused_at_send_time_records_the_rule_only(
    production_like, dns, receiver, name
):
    """Public when saved; at send time the name answers as SECRET_ANSWERS[name] (rebinding, or a
    name that went away): the attempt fails, and its `last_error` names the rule."""
    dns.names[HOST] = [[PUBLIC], *dns.names[name]]
    services.endpoint_create(actor=factories.hr_user(), url=f"https://{HOST}/hooks")
    (delivery,) = emit_unsent()
    assert services.delivery_send(delivery_id=delivery.pk) is False
    error = Delivery.objects.get(pk=delivery.pk).last_error
    assert error.startswith("Not sent:")
    assert UNRESOLVED in error or NOT_PUBLIC_RULE in error
    assert_tells_nothing(error)
    assert receiver.requests == []
