"""Where the service may send a request: the SSRF guard (docs/webhooks.md, "Destinations"). Its
user today is webhooks; it refuses with core.errors.DestinationRefused, so core imports no app.

An endpoint must not reach into the service's own network: every address its host resolves to must
be a public one, checked when the endpoint is saved and again right before each send. The send
then connects to the address that was checked (`Destination.address`), so a DNS answer that
changes in between (rebinding) cannot redirect it. `WEBHOOKS_ALLOW_PRIVATE_URLS` lifts the address
check (development, tests); `WEBHOOKS_REQUIRE_HTTPS` (production) refuses plain http unless
private URLs are allowed."""

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

from core.errors import DestinationRefused

MAX_URL_LENGTH = 2000
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# Prefixes that carry an IPv4 address inside an IPv6 one (NAT64): judged by the IPv4 address.
NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))


@dataclass(frozen=True)
class Destination:
    scheme: str
    host: str  # as written in the URL: the Host header and the name TLS checks
    port: int
    target: str  # path and query
    address: str  # the checked address to connect to

    @property
    def host_header(self) -> str:
        default = 443 if self.scheme == "https" else 80
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == default else f"{host}:{self.port}"


def _embedded_ipv4(address: IPAddress) -> IPAddress:
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped:
            return address.ipv4_mapped
        if address.sixtofour:
            return address.sixtofour
        if any(address in network for network in NAT64):
            return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address


def is_public(address: IPAddress) -> bool:
    """Not loopback, private, link-local, unspecified, reserved or multicast, also when wrapped
    in an IPv6 address."""
    address = _embedded_ipv4(address)
    # `is_global` alone lets reserved IPv6 through, e.g. ::127.0.0.1 (IPv4-compatible) and
    # ::ffff:0:127.0.0.1 (IPv4-translated): loopback wherever a stack translates those forms.
    site_local = getattr(address, "is_site_local", False)  # fec0::/10, still used inside networks
    special = address.is_multicast or address.is_reserved or site_local
    return address.is_global and not special


def _split(url: str):
    if not isinstance(url, str) or not url or len(url) > MAX_URL_LENGTH:
        raise DestinationRefused(f"Give an http(s) URL of at most {MAX_URL_LENGTH} characters.")
    if any(ord(char) < 33 or ord(char) == 127 for char in url):
        raise DestinationRefused("A URL has no spaces or control characters.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise DestinationRefused("This is not a valid URL.") from None
    if parts.scheme not in ("http", "https"):
        raise DestinationRefused("Webhook URLs start with https:// (or http://).")
    private_allowed = settings.WEBHOOKS_ALLOW_PRIVATE_URLS
    if settings.WEBHOOKS_REQUIRE_HTTPS and not private_allowed and parts.scheme != "https":
        raise DestinationRefused("Webhook URLs must use https.")
    if parts.username is not None or parts.password is not None:
        raise DestinationRefused("A webhook URL carries no user name or password.")
    if not parts.hostname:
        raise DestinationRefused("A webhook URL needs a host.")
    try:  # an international name in its ASCII form: what DNS, TLS and the Host header use
        parts.hostname.encode("idna").decode("ascii")
    except UnicodeError:
        raise DestinationRefused("The host name is not a valid domain name.") from None
    if parts.fragment:
        raise DestinationRefused("A webhook URL has no #fragment.")
    return parts, port or (443 if parts.scheme == "https" else 80)


# The refusals name the rule, never what the server's resolver answered (an address, an errno):
# HR must not be able to map the internal network by trying names.
UNRESOLVED = "The webhook URL's host could not be resolved."
NOT_PUBLIC = (
    "The webhook URL's host must resolve only to public addresses: webhooks go to no loopback, "
    "private, link-local or reserved address."
)


def _resolve(host: str, port: int) -> list[IPAddress]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise DestinationRefused(UNRESOLVED) from None
    # A scoped IPv6 address ("fe80::1%eth0") is judged without its scope.
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
    return list(dict.fromkeys(addresses))


def destination_check(url: str) -> Destination:
    """The URL's destination, if the service may send to it now; else DestinationRefused with the
    reason. Resolves the host: call it on save and again right before each send."""
    parts, port = _split(url)
    addresses = _resolve(parts.hostname, port)
    if not addresses:
        raise DestinationRefused(UNRESOLVED)
    if not settings.WEBHOOKS_ALLOW_PRIVATE_URLS and not all(map(is_public, addresses)):
        raise DestinationRefused(NOT_PUBLIC)
    target = parts.path or "/"
    if parts.query:
        target = f"{target}?{parts.query}"
    return Destination(
        scheme=parts.scheme,
        host=parts.hostname.encode("idna").decode("ascii"),
        port=port,
        target=target,
        address=str(addresses[0]),
    )
