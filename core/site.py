"""The site's own address, for links that leave it (e-mail): `SITE_URL`, or in development with
`SITE_URL` unset, the address of the request being served (SITE_URL_FOLLOWS_REQUESTS), so a
server started on another port writes links to that port. Production never follows a request:
its links are what the operator configured, whatever Host header a client sends."""

from contextvars import ContextVar

from django.conf import settings

_request_site: ContextVar[str | None] = ContextVar("request_site", default=None)


def site_url() -> str:
    """The scheme, host and port links start with, without a trailing slash."""
    return _request_site.get() or settings.SITE_URL


def absolute_url(path: str) -> str:
    """A path of this site (`/me/promotions/5/`) as a link to open from elsewhere."""
    return site_url() + path


class SiteFollowsRequestsMiddleware:
    """In development (SITE_URL_FOLLOWS_REQUESTS), links written while a request is served start
    with the address it came to: `request.get_host()`, which Django has already checked against
    ALLOWED_HOSTS. Production settings turn this off."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not settings.SITE_URL_FOLLOWS_REQUESTS:
            return self.get_response(request)
        token = _request_site.set(f"{request.scheme}://{request.get_host()}")
        try:
            return self.get_response(request)
        finally:
            _request_site.reset(token)
