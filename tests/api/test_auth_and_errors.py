import pytest
from django.test import Client

from tests import factories
from tests.factories import PASSWORD, MemberFactory

pytestmark = pytest.mark.django_db


def test_token_for_good_credentials(api):
    member = MemberFactory()
    response = api.post(
        "/api/v1/auth/token/",
        {"username": member.user.username, "password": PASSWORD},
        format="json",
    )
    assert response.status_code == 200
    token = response.json()["token"]
    me = api.get("/api/v1/members/me/", HTTP_AUTHORIZATION=f"Token {token}")
    assert me.status_code == 200
    assert me.json()["id"] == member.id


@pytest.mark.parametrize("scheme", ["Bearer", "Token", "bearer", "TOKEN"])
def test_a_token_is_sent_after_bearer_or_token(api, scheme):
    member = MemberFactory()
    token = factories.token_for(member.user)
    me = api.get("/api/v1/members/me/", HTTP_AUTHORIZATION=f"{scheme} {token}")
    assert me.status_code == 200, me.json()
    assert me.json()["id"] == member.id


@pytest.mark.parametrize("scheme", ["Basic", "Bearer:", "Tokens", "JWT"])
def test_a_token_under_another_scheme_is_401(api, scheme):
    token = factories.token_for(MemberFactory().user)
    response = api.get("/api/v1/members/me/", HTTP_AUTHORIZATION=f"{scheme} {token}")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert response["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize("header", ["Bearer", "Bearer  ", "Bearer a b", "Token"])
def test_a_bearer_header_without_one_key_is_401(api, header):
    response = api.get("/api/v1/members/me/", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response.json()["code"] in {"authentication_failed", "not_authenticated"}


@pytest.mark.parametrize(
    ("username", "password"),
    [("nobody", "not-the-password"), ("no-such-user", PASSWORD), ("nobody", PASSWORD.upper())],
)
def test_a_wrong_password_or_user_is_401(api, username, password):
    MemberFactory(user__username="nobody")
    response = api.post(
        "/api/v1/auth/token/", {"username": username, "password": password}, format="json"
    )
    assert response.status_code == 401
    assert response.json() == {
        "detail": "Unable to log in with provided credentials.",
        "code": "authorization",
    }
    assert response["WWW-Authenticate"] == "Bearer"


def test_an_inactive_user_gets_no_token(api):
    member = MemberFactory(user__is_active=False)
    response = api.post(
        "/api/v1/auth/token/",
        {"username": member.user.username, "password": PASSWORD},
        format="json",
    )
    assert response.status_code == 401 and response.json()["code"] == "authorization"


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({}, "required"),
        ({"username": "nobody"}, "required"),
        ({"username": "nobody", "password": ""}, "blank"),
        ({"username": ["a"], "password": {"b": 1}}, "invalid"),
    ],
)
def test_a_malformed_login_is_still_400(api, payload, code):
    MemberFactory(user__username="nobody")
    response = api.post("/api/v1/auth/token/", payload, format="json")
    assert response.status_code == 400
    assert "token" not in response.json()
    assert response.json()["code"] == code


def test_bad_token_is_401(api):
    response = api.get("/api/v1/members/", HTTP_AUTHORIZATION="Token not-a-real-token")
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"
    response = api.get("/api/v1/members/", HTTP_AUTHORIZATION="Bearer not-a-real-token")
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_unknown_api_path_is_a_json_404(api):
    response = api.get("/api/v1/no/such/thing/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "code": "not_found"}


def test_post_without_trailing_slash_is_served_not_500(as_user):
    member = MemberFactory()
    client = as_user(member.user)
    assert client.post("/api/v1/members", {}, format="json").status_code == 403
    assert client.get("/api/v1/members/me").status_code == 200
    response = Client().post(
        "/api/v1/auth/token", {"username": "x", "password": "y"}, content_type="application/json"
    )
    assert response.status_code == 401  # served: no such user
    form = Client().post("/api/v1/auth/token/", {"username": "x", "password": "y"})
    assert form.status_code == 415  # JSON only


def test_admin_post_without_trailing_slash_redirects_keeping_the_method(settings):
    settings.DEBUG = True  # Django itself would raise here in DEBUG
    response = Client().post("/admin", {"username": "x", "password": "y"})
    assert response.status_code == 308
    assert response["Location"] == "/admin/"


def test_malformed_json_from_hr_is_400(as_user, ladder_people):
    client = as_user(ladder_people["hr"])
    response = client.post("/api/v1/members/", "{bad", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"
    response = client.post("/api/v1/members/", "[1, 2]", content_type="application/json")
    assert response.status_code == 400
    member = ladder_people["report_a"]
    response = client.generic(
        "PATCH", f"/api/v1/members/{member.id}/", "{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"
    response = client.post("/api/v1/members/", "x=1", content_type="text/plain")
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"


def test_csrf_failure_on_a_session_request_is_json(ladder_people):
    client = Client(enforce_csrf_checks=True)
    client.force_login(ladder_people["hr"])
    response = client.post("/api/v1/members/", {}, content_type="application/json")
    assert response.status_code == 403
    body = response.json()
    assert "CSRF" in body["detail"]
    assert body["code"] == "permission_denied"
