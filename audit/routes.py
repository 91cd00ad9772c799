"""By which route a change is made (api, admin, scim, site, sso), recorded with every audit row. The
request sets it (RouteMiddleware); outside a request (the scheduler, a management command) it is
`system`. A context variable: services need not be told where their caller sits."""

from contextvars import ContextVar

SYSTEM = "system"
_current: ContextVar[str] = ContextVar("audit_route", default=SYSTEM)


def current_route() -> str:
    return _current.get()


def route_of_path(path: str) -> str:
    if path.startswith("/api/"):
        return "api"
    if path.startswith("/admin/"):
        return "admin"
    if path.startswith("/scim/"):
        return "scim"
    if path.startswith("/sso/"):
        return "sso"
    return "site"


class RouteMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _current.set(route_of_path(request.path))
        try:
            return self.get_response(request)
        finally:
            _current.reset(token)
