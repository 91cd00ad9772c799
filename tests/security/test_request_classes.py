"""Refusals that happen before any view: a body larger than its path allows (every route, for
everyone, before anything reads it), errors on /api/ answered as JSON even when Django gives them
before DRF (a Host not allowed, DEBUG's pages), DEBUG's pages without the passwords inside URLs,
and the admin's generic history of any object for HR only."""

import re

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from config.errors import CredentialsHidingReporterFilter
from tests import factories

pytestmark = pytest.mark.django_db


def every_path(resolver=None, prefix: str = "") -> list[str]:
    """A concrete path for every route of the site (each parameter replaced by 1)."""
    paths = []
    for entry in (resolver or get_resolver()).url_patterns:
        route = prefix + re.sub(r"<[^>]+>", "1", str(entry.pattern))
        route = route.replace("^", "").replace("$", "").replace("\\Z", "").replace("/?", "")
        if re.search(r"[()?*+\[\\]", route):
            route = re.sub(r"\(\?P<[^>]+>[^)]*\)", "1", route)
            if re.search(r"[()?*+\[\\]", route):
                continue  # a pattern with no concrete form (e.g. the static files' catch-all)
        if isinstance(entry, URLResolver):
            paths += every_path(entry, route)
        elif isinstance(entry, URLPattern):
            paths.append("/" + route)
    return sorted(set(paths))


def declared_post(client, path, declared: int, **extra):
    # A 10-byte body declared as `declared` bytes: Django's test payload raises if anything
    # tries to read more than is there, so a 413 here proves nothing read the body.
    return client.generic(
        "POST",
        path,
        b"a=1&b=2345",
        content_type="application/x-www-form-urlencoded",
        CONTENT_LENGTH=str(declared),
        **extra,
    )


def test_every_route_refuses_an_oversized_body_before_reading_it(settings):
    """The reported case: an anonymous 600 MB POST to /healthz or /admin/login/ was spooled to
    disk before any answer. Walks every route of the site, anonymous and signed in."""
    paths = every_path()
    assert "/healthz" in paths and "/admin/login/" in paths and len(paths) > 100
    hr = Client()
    hr.force_login(factories.hr_user())
    for client in (Client(), hr):
        for path in paths:
            limit = (
                settings.API_MAX_BODY_BYTES
                if path.startswith("/api/")
                else settings.UPLOAD_MAX_BODY_BYTES
                if path.endswith("/ladder/member/import/")
                else settings.FORM_MAX_BODY_BYTES
            )
            response = declared_post(client, path, limit + 1)
            assert response.status_code == 413, (path, response.status_code)
            if path.startswith("/api/"):
                assert response.json()["code"] == "request_too_large"


def test_the_import_page_takes_a_file_up_to_its_limit_and_no_more(settings):
    client = Client()
    client.force_login(factories.hr_user())
    page = "/admin/ladder/member/import/"
    assert declared_post(client, page, settings.UPLOAD_MAX_BODY_BYTES + 1).status_code == 413
    # 40 MB, the reported upload, is refused before it is received, anonymous or not.
    assert declared_post(Client(), page, 40 * 1024 * 1024).status_code == 413
    small = b"username,email\r\n"
    response = client.post(page, {"file": _upload(small)})
    assert response.status_code == 200  # the page again, with what the file lacked


def _upload(content: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("members.csv", content, content_type="text/csv")


def test_a_malformed_content_length_is_refused_everywhere():
    for path in ("/healthz", "/admin/login/", "/api/v1/auth/token/"):
        response = Client().generic("POST", path, b"", CONTENT_LENGTH="12x")
        assert response.status_code == 400, path


@pytest.mark.parametrize("debug", [False, True])
def test_errors_before_drf_answer_json_on_the_api(settings, debug):
    """The reported case: a bad Host on /api/ answered HTML; under DEBUG a page listing every
    setting. Each refusal Django makes before DRF, in both modes."""
    settings.DEBUG = debug
    client = Client(raise_request_exception=False)
    answers = [
        client.get("/api/v1/promotions/", HTTP_HOST="evil.example"),
        client.post("/api/v1/auth/token/", {}, HTTP_HOST="evil.example"),
        client.get("/api/v1/ladder/levels/", HTTP_HOST="bad host"),
        client.get("/api/v1/no-such-thing/"),
    ]
    for response in answers:
        assert response["Content-Type"] == "application/json", response.content[:200]
        body = response.json()
        assert set(body) == {"detail", "code"}
        assert response.status_code in (400, 404)
    assert answers[0].json()["code"] == "bad_request"


def test_the_browsable_api_still_renders_its_own_errors_for_a_session():
    client = Client()
    client.force_login(factories.hr_user())
    response = client.get("/api/v1/promotions/999999/", HTTP_ACCEPT="text/html")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_debug_pages_hide_passwords_inside_urls(settings):
    """Under DEBUG (make run) the error page lists the settings and, under runserver, every
    environment variable: DATABASE_URL's password was shown."""
    settings.DEBUG = True
    settings.CELERY_BROKER_URL = "redis://:broker-secret@cache.internal:6379/0"
    settings.SOME_SERVICE_URL = "https://bot:service-secret@hooks.internal/x"
    client = Client(raise_request_exception=False)
    client.force_login(factories.hr_user())
    response = client.get(
        "/admin/ladder/member/?user__password__startswith=a",  # a lookup not offered: 400
        DATABASE_URL="postgres://ladder:db-secret@db.internal:5432/ladder",
        HTTP_AUTHORIZATION="Token header-secret",
        HTTP_PROXY_AUTHORIZATION="Basic proxy-secret",
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "DATABASE_URL" in page  # the page is the one that lists the environment
    for secret in ("db-secret", "broker-secret", "service-secret", "header-secret", "proxy-secret"):
        assert secret not in page, secret
    cleansed = CredentialsHidingReporterFilter().cleanse_setting(
        "SENTRY", "https://user:pw@example.com/1"
    )
    assert "pw@" not in cleansed and "user:" in cleansed


def test_the_generic_history_of_every_model_is_for_hr_only():
    """The reported case: /admin/ladder/member/{id}/history/ showed the committee who changed
    what on a member. Walks every model registered on the admin site."""
    committee = Client()
    committee.force_login(factories.committee_member())
    hr_user = factories.hr_user()
    hr = Client()
    hr.force_login(hr_user)
    member = factories.MemberFactory()
    for model in admin.site._registry:
        obj = model._default_manager.first() or (member if model is type(member) else None)
        object_id = obj.pk if obj is not None else 1
        opts = model._meta
        url = f"/admin/{opts.app_label}/{opts.model_name}/{object_id}/history/"
        assert committee.get(url).status_code in (403, 404), url
        if obj is not None and hr_user.has_perm(f"{opts.app_label}.view_{opts.model_name}"):
            assert hr.get(url).status_code in (200, 302), url  # 302: "does not exist" for HR
