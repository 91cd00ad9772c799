"""Where webhooks may go (SSRF): never into the service's own network, whatever form the address
takes or whatever a name resolves to, when the endpoint is saved and again when it is sent to;
https under production settings; and the send goes to the address that was checked."""

import ipaddress
import socket

import pytest
from rest_framework.test import APIClient
from standardwebhooks import Webhook

from core.destinations import MAX_URL_LENGTH, destination_check
from core.errors import DestinationRefused
from tests import factories
from tests.config.test_settings import run_django
from tests.webhooks.conftest import emit_unsent
from webhooks import services
from webhooks.models import Delivery, DeliveryStatus, Endpoint

PUBLIC = "93.184.216.34"
HOST = "hooks.example.test"  # a made-up name: `fake_dns` answers for it


def same_address(actual: str, expected: str) -> bool:
    return ipaddress.ip_address(actual) == ipaddress.ip_address(expected)


def header(request: dict, name: str) -> str:
    return {key.lower(): value for key, value in request["headers"].items()}[name]


@pytest.fixture
def production_like(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_URLS = False
    settings.WEBHOOKS_REQUIRE_HTTPS = True
    return settings


@pytest.fixture
def private_allowed(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_URLS = True
    settings.WEBHOOKS_REQUIRE_HTTPS = True  # lifted too, with private URLs allowed
    return settings


# (url, the address it comes to): refused in production, allowed with private URLs.
NOT_PUBLIC = [
    ("https://127.0.0.1/", "127.0.0.1"),
    ("https://127.0.0.1:8000/hooks", "127.0.0.1"),
    ("https://10.0.0.1/", "10.0.0.1"),
    ("https://172.16.0.1/", "172.16.0.1"),
    ("https://192.168.1.1/", "192.168.1.1"),
    ("https://169.254.169.254/latest/meta-data/", "169.254.169.254"),
    ("https://[::1]/", "::1"),
    ("https://[fec0::1]/", "fec0::1"),  # IPv6 site-local: still used inside some networks
    ("https://localhost/", "127.0.0.1"),
    ("https://[::ffff:127.0.0.1]/", "::ffff:127.0.0.1"),
    ("https://[::ffff:10.0.0.1]/", "::ffff:10.0.0.1"),
    ("https://[::ffff:169.254.169.254]/", "::ffff:169.254.169.254"),
    # IPv4-compatible (::/96, deprecated) and IPv4-translated (::ffff:0:0/96) forms of loopback.
    ("https://[::127.0.0.1]/", "::7f00:1"),
    ("https://[::ffff:0:127.0.0.1]/", "::ffff:0:7f00:1"),
    ("https://[64:ff9b::127.0.0.1]/", "64:ff9b::7f00:1"),  # NAT64
    ("https://[2002:7f00:1::]/", "2002:7f00:1::"),  # 6to4
    ("https://2130706433/", "127.0.0.1"),  # decimal
    ("https://0x7f000001/", "127.0.0.1"),  # hexadecimal
    ("https://0177.0.0.1/", "127.0.0.1"),  # octal
    ("https://127.1/", "127.0.0.1"),  # short form
    ("https://0.0.0.0/", "0.0.0.0"),
    ("https://0/", "0.0.0.0"),
    ("https://[::]/", "::"),
    ("https://100.64.0.1/", "100.64.0.1"),  # carrier-grade NAT
    ("https://198.18.0.1/", "198.18.0.1"),  # benchmarking
    ("https://224.0.0.1/", "224.0.0.1"),  # multicast
    ("https://239.255.255.250/", "239.255.255.250"),
    ("https://255.255.255.255/", "255.255.255.255"),
    ("https://240.0.0.1/", "240.0.0.1"),  # reserved
    ("https://[ff02::1]/", "ff02::1"),  # IPv6 multicast
    ("https://[fe80::1]/", "fe80::1"),
    ("https://[fc00::1]/", "fc00::1"),
    ("https://[fd12:3456::1]/", "fd12:3456::1"),
    ("https://intranet.example.test/", "10.1.2.3"),  # a name resolving to a private address
    ("https://mixed.example.test/", PUBLIC),  # one public address and one private: refused
    ("http://hooks.example.test/", PUBLIC),  # public, but plain http
]

# Refused under any settings: not a URL the service sends to.
MALFORMED = [
    ("https://user:pass@hooks.example.test/", "user name or password"),
    ("https://user@hooks.example.test/", "user name or password"),
    ("https://:pass@hooks.example.test/", "user name or password"),
    ("https://hooks.example.test@127.0.0.1/", "user name or password"),
    ("ftp://hooks.example.test/", "https://"),
    ("file:///etc/passwd", "https://"),
    ("gopher://127.0.0.1:6379/_INFO", "https://"),
    ("javascript:alert(1)", "https://"),
    ("ws://hooks.example.test/", "https://"),
    ("//hooks.example.test/", "https://"),
    ("hooks.example.test", "https://"),
    ("https://hooks.example.test/a\x00b", "control characters"),
    ("https://hooks.example.test/\r\nX-Injected: 1", "control characters"),
    ("https://hooks.example.test/a b", "control characters"),
    ("https://hooks\t.example.test/", "control characters"),
    ("https://hooks.example.test/\x7f", "control characters"),
    ("https://hooks.example.test/" + "a" * (MAX_URL_LENGTH - 26), "at most 2000"),
    ("", "at most 2000"),
    ("https:///hooks", "needs a host"),
    ("https://hooks.example.test/#top", "fragment"),
    ("https://hooks.example.test:99999/", "not a valid URL"),
]


@pytest.fixture
def dns(fake_dns):
    fake_dns.names.update(
        {
            HOST: [[PUBLIC]],
            "intranet.example.test": [["10.1.2.3"]],
            "mixed.example.test": [[PUBLIC, "10.0.0.7"]],
        }
    )
    return fake_dns


def test_public_https_destinations_are_allowed_in_production(production_like, dns):
    """The other tests' refusals are not a refusal of everything."""
    for url, address in [
        (f"https://{HOST}/hooks/ladder?x=1", PUBLIC),
        (f"https://{HOST}:8443/hooks", PUBLIC),
        (f"https://{PUBLIC}/", PUBLIC),
        ("https://[2606:2800:220:1:248:1893:25c8:1946]/", "2606:2800:220:1:248:1893:25c8:1946"),
        (f"https://[::ffff:{PUBLIC}]/", f"::ffff:{PUBLIC}"),
        ("https://[64:ff9b::93.184.216.34]/", "64:ff9b::5db8:d822"),  # NAT64 of a public one
        (f"https://{HOST}/" + "a" * (MAX_URL_LENGTH - 27), PUBLIC),  # exactly the longest
    ]:
        assert same_address(destination_check(url).address, address), url
    destination = destination_check(f"https://{HOST}:8443/hooks/ladder?x=1")
    assert (destination.scheme, destination.host, destination.port) == ("https", HOST, 8443)
    assert destination.target == "/hooks/ladder?x=1"
    assert destination.host_header == f"{HOST}:8443"


@pytest.mark.parametrize(("url", "address"), NOT_PUBLIC, ids=[u for u, _ in NOT_PUBLIC])
def test_production_refuses_destinations_that_are_not_public_https(
    production_like, dns, url, address
):
    with pytest.raises(DestinationRefused) as refused:
        destination_check(url)
    if url.startswith("http:"):
        assert "https" in refused.value.message
    else:
        # The rule broken, never the address the name resolved to (tests/webhooks/test_refusals.py).
        assert "resolve only to public addresses" in refused.value.message
        assert address not in refused.value.message


@pytest.mark.django_db
@pytest.mark.parametrize(("url", "address"), NOT_PUBLIC, ids=[u for u, _ in NOT_PUBLIC])
def test_endpoint_creation_refuses_them_too(production_like, dns, url, address):
    with pytest.raises(DestinationRefused):
        services.endpoint_create(actor=factories.hr_user(), url=url)
    assert not Endpoint.objects.exists()


@pytest.mark.django_db
def test_the_api_answers_400_webhook_url_refused(production_like, dns):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {factories.token_for(factories.hr_user())}")
    for url in ["https://169.254.169.254/", "https://2130706433/", "http://hooks.example.test/"]:
        response = client.post("/api/v1/webhooks/", {"url": url}, format="json")
        assert response.status_code == 400, (url, response.json())
        assert response.json()["code"] == "webhook_url_refused", response.json()
    assert not Endpoint.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(("url", "address"), NOT_PUBLIC, ids=[u for u, _ in NOT_PUBLIC])
def test_with_private_urls_allowed_they_are_accepted_http_too(private_allowed, dns, url, address):
    # `localhost` may come to ::1 first on another machine.
    actual = destination_check(url).address
    assert same_address(actual, address) or ("localhost" in url and actual == "::1")
    endpoint = services.endpoint_create(actor=factories.hr_user(), url=url)
    assert endpoint.url == url


@pytest.mark.django_db
@pytest.mark.parametrize("allow_private", [False, True], ids=["production", "private-allowed"])
@pytest.mark.parametrize(("url", "reason"), MALFORMED, ids=[repr(u)[:60] for u, _ in MALFORMED])
def test_malformed_urls_are_refused_under_any_settings(settings, dns, allow_private, url, reason):
    settings.WEBHOOKS_ALLOW_PRIVATE_URLS = allow_private
    settings.WEBHOOKS_REQUIRE_HTTPS = True
    with pytest.raises(DestinationRefused) as refused:
        destination_check(url)
    assert reason in refused.value.message
    with pytest.raises(DestinationRefused):
        services.endpoint_create(actor=factories.hr_user(), url=url)
    assert not Endpoint.objects.exists()
    assert dns.lookups == [], "a malformed URL is refused before any DNS lookup"


def test_a_name_that_does_not_resolve_is_refused(production_like, fake_dns):
    fake_dns.names["gone.example.test"] = [socket.gaierror(socket.EAI_NONAME, "Name unknown")]
    fake_dns.names["empty.example.test"] = [[]]
    for host in ["gone.example.test", "empty.example.test"]:
        with pytest.raises(DestinationRefused) as refused:
            destination_check(f"https://{host}/")
        assert refused.value.message == "The webhook URL's host could not be resolved."


def test_plain_http_to_a_public_address_is_allowed_outside_production(settings, dns):
    settings.WEBHOOKS_ALLOW_PRIVATE_URLS = False
    settings.WEBHOOKS_REQUIRE_HTTPS = False
    assert destination_check(f"http://{HOST}/").address == PUBLIC
    with pytest.raises(DestinationRefused):
        destination_check("http://127.0.0.1/")  # the address rule holds under any settings


def test_production_settings_require_https_and_refuse_private_urls():
    """The production settings module, loaded as a deployment loads it (a fresh interpreter)."""
    code = (
        "from django.conf import settings as s\n"
        "from core.destinations import destination_check\n"
        "from core.errors import DestinationRefused\n"
        "print(s.WEBHOOKS_REQUIRE_HTTPS, s.WEBHOOKS_ALLOW_PRIVATE_URLS)\n"
        "print(destination_check('https://93.184.216.34/').address)\n"
        "for url in ['http://93.184.216.34/', 'https://127.0.0.1/']:\n"
        "    try:\n"
        "        destination_check(url)\n"
        "        print('allowed', url)\n"
        "    except DestinationRefused as exc:\n"
        "        print('refused', url)\n"
    )
    result = run_django(
        code,
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY="x" * 60,
        ALLOWED_HOSTS="ladder.example.com",
        WEBHOOKS_ALLOW_PRIVATE_URLS="",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "True False",
        PUBLIC,
        "refused http://93.184.216.34/",
        "refused https://127.0.0.1/",
    ]
    base = run_django(
        "from django.conf import settings as s; print(s.WEBHOOKS_REQUIRE_HTTPS)",
        DJANGO_SETTINGS_MODULE="config.settings.base",
    )
    assert base.returncode == 0, base.stderr
    assert base.stdout.split() == ["False"]


# --- At send time -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_name_rebound_to_loopback_after_saving_is_not_sent_to(
    production_like, fake_dns, tls_receiver
):
    """DNS rebinding: public when the endpoint is saved, 127.0.0.1 when it is sent to. The URL
    names the port of a real receiver on 127.0.0.1: had the send gone ahead, it would have
    arrived there."""
    url = f"https://{HOST}:{tls_receiver.port}/hooks/ladder"
    fake_dns.names[HOST] = [[PUBLIC], ["127.0.0.1"]]
    endpoint = services.endpoint_create(actor=factories.hr_user(), url=url)
    (delivery,) = emit_unsent()

    assert services.delivery_send(delivery_id=delivery.pk) is False
    assert fake_dns.lookups == [HOST, HOST]  # on save, and again before the send
    assert tls_receiver.requests == []
    row = Delivery.objects.get(pk=delivery.pk)
    assert row.status == DeliveryStatus.PENDING
    assert (row.attempts, row.last_status_code) == (1, None)
    assert row.last_error.startswith("Not sent:")
    assert "resolve only to public addresses" in row.last_error
    assert "127.0.0.1" not in row.last_error  # the rule, not the rebound answer
    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 1


@pytest.mark.django_db
def test_the_send_connects_to_the_checked_address_with_the_name_for_tls_and_host(
    production_like, fake_dns, tls_receiver
):
    """Production settings, https. The name resolves to a public address; the made-up DNS is
    also the network: a connection to that public address reaches the TLS receiver on
    127.0.0.1, which holds a certificate for the name. The request arrives with the name as SNI
    (the certificate is checked against it, not the address) and as the Host header, and the
    name is looked up once per check: the connection is made to the checked address, not a
    fresh answer (a third lookup would have given a private address)."""
    url = f"https://{HOST}:{tls_receiver.port}/hooks/ladder?source=ladder"
    fake_dns.names[HOST] = [[PUBLIC], [PUBLIC], ["10.9.9.9"]]
    fake_dns.names[PUBLIC] = [["127.0.0.1"]]
    endpoint = services.endpoint_create(actor=factories.hr_user(), url=url)
    (delivery,) = emit_unsent()

    assert services.delivery_send(delivery_id=delivery.pk) is True
    assert fake_dns.lookups == [HOST, HOST, PUBLIC]
    assert tls_receiver.sni == [HOST]
    (request,) = tls_receiver.requests
    assert header(request, "host") == f"{HOST}:{tls_receiver.port}"
    assert request["path"] == "/hooks/ladder?source=ladder"
    Webhook(endpoint.secret).verify(request["body"], request["headers"])
    assert Delivery.objects.get(pk=delivery.pk).status == DeliveryStatus.DELIVERED


@pytest.mark.django_db
def test_a_certificate_for_another_name_is_refused(production_like, fake_dns, tls_receiver):
    """The certificate is checked against the URL's name: the receiver's is for HOST only."""
    other = "other.example.test"
    url = f"https://{other}:{tls_receiver.port}/hooks/ladder"
    fake_dns.names[other] = [[PUBLIC]]
    fake_dns.names[PUBLIC] = [["127.0.0.1"]]
    services.endpoint_create(actor=factories.hr_user(), url=url)
    (delivery,) = emit_unsent()

    assert services.delivery_send(delivery_id=delivery.pk) is False
    assert tls_receiver.requests == []
    row = Delivery.objects.get(pk=delivery.pk)
    assert row.status == DeliveryStatus.PENDING
    assert row.last_error.startswith(("SSLError", "CertificateError")), row.last_error
    assert f"hostname '{other}' doesn't match" in row.last_error


@pytest.mark.django_db
def test_with_private_urls_allowed_a_name_is_sent_to_with_its_host_header(
    private_allowed, fake_dns, receiver
):
    url = f"http://{HOST}:{receiver.port}/hooks/ladder"
    fake_dns.names[HOST] = [["127.0.0.1"], ["127.0.0.1"], ["10.9.9.9"]]
    services.endpoint_create(actor=factories.hr_user(), url=url)
    (delivery,) = emit_unsent()
    assert services.delivery_send(delivery_id=delivery.pk) is True
    assert fake_dns.lookups == [HOST, HOST]
    (request,) = receiver.requests
    assert header(request, "host") == f"{HOST}:{receiver.port}"


@pytest.mark.django_db
def test_an_international_name_is_sent_to_in_its_ascii_form(private_allowed, fake_dns, receiver):
    """DNS, the Host header and TLS take the name's IDNA (punycode) form; the raw name would not
    even fit in a Host header."""
    ascii_name = "xn--r8jz45g.example.test"  # 例え.example.test
    url = f"http://例え.example.test:{receiver.port}/hooks/ladder"
    fake_dns.names["例え.example.test"] = [["127.0.0.1"], ["127.0.0.1"]]
    fake_dns.names[ascii_name] = [["127.0.0.1"], ["127.0.0.1"]]
    services.endpoint_create(actor=factories.hr_user(), url=url)
    (delivery,) = emit_unsent()
    assert services.delivery_send(delivery_id=delivery.pk) is True
    (request,) = receiver.requests
    assert header(request, "host") == f"{ascii_name}:{receiver.port}"


def test_a_name_that_is_no_valid_domain_is_refused(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_URLS = True
    with pytest.raises(DestinationRefused):
        destination_check("http://" + "a" * 64 + ".example.test/")
