"""Every route of the URL conf, asked anonymously, answers 401 unless it is meant to be public."""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

pytestmark = pytest.mark.django_db

PUBLIC = {
    "/api/v1/auth/token/",  # how one logs in
    "/api/v1/schema/",
    "/api/v1/docs/",
    "/healthz",
    "/readyz",
    "/api/",  # the catch-all of unknown API paths: a JSON 404 for anyone
}
# The admin has its own login page: anonymous visitors are redirected to it (tested below).
ADMIN_PREFIX = "/admin/"

SAMPLE = {"pk": "1", "code": "pm", "id": "1", "format": "json"}


def concrete_routes(resolver=None, prefix=""):
    """Turn every URL pattern into a path a client could request."""
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        regex = pattern.pattern.regex.pattern if hasattr(pattern.pattern, "regex") else ""
        part = _instantiate(regex)
        if isinstance(pattern, URLResolver):
            yield from concrete_routes(pattern, prefix + part)
        elif isinstance(pattern, URLPattern):
            yield prefix + part


def _instantiate(regex: str) -> str:
    regex = regex.lstrip("^").rstrip("$").replace(r"\Z", "")
    regex = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: SAMPLE.get(m.group(1), "1"), regex)
    regex = regex.replace("/?", "/").replace("\\.", ".")
    regex = re.sub(r"\(\?:?[^)]*\)\??", "", regex)
    return regex.replace("\\", "")


def api_routes():
    routes = {"/" + route.lstrip("/") for route in concrete_routes()}
    # The admin and the member site send anonymous visitors to their sign-in pages (the site's
    # every route: tests/portal/test_site_routes.py).
    routes = sorted(route for route in routes if route.startswith(("/api/", "/healthz", "/readyz")))
    assert len(routes) >= 8
    return routes


def private_routes():
    return [route for route in api_routes() if route not in PUBLIC and route[:-1] not in PUBLIC]


@pytest.mark.parametrize("route", private_routes())
@pytest.mark.parametrize("method", ["get", "post", "patch", "put", "delete"])
def test_anonymous_gets_401(client, route, method):
    response = getattr(client, method)(route, content_type="application/json")
    assert response.status_code == 401, f"{method.upper()} {route} -> {response.status_code}"
    assert response.json()["code"] == "not_authenticated"


def test_the_walk_finds_the_routes_we_know():
    routes = set(api_routes())
    for expected in ["/api/v1/members/", "/api/v1/members/me/", "/api/v1/ladder/levels/pm/"]:
        assert expected in routes


def test_public_routes_answer_anonymous(client):
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200
    assert client.get("/api/v1/schema/").status_code == 200
    assert client.get("/api/v1/docs/").status_code == 200
    assert (
        client.post("/api/v1/auth/token/", {}, content_type="application/json").status_code == 400
    )


def test_admin_sends_anonymous_to_its_login_page(client):
    response = client.get("/admin/ladder/member/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    assert client.get("/admin/login/").status_code == 200
