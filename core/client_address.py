"""The client's address, for rate limits and login lockouts. `X-Forwarded-For` is written by the
client and then appended to by each proxy, so only its last TRUSTED_PROXY_COUNT entries are
trustworthy; with 0 (the default) the header is ignored and the client is the connecting peer."""

from django.conf import settings


def client_address(request) -> str:
    peer = request.META.get("REMOTE_ADDR", "")
    proxies = settings.TRUSTED_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies == 0 or not forwarded:
        return peer
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    # Each trusted proxy appended the address it saw; the one the nearest trusted proxy's
    # first hop saw is the client. A shorter header than expected: take the earliest entry.
    return hops[-min(proxies, len(hops))] if hops else peer
