"""Malformed input gets a 4xx with a JSON error, never a 500 (PostgreSQL refuses NUL bytes in
text, which is where a careless lookup would crash)."""

import pytest

pytestmark = pytest.mark.django_db

NUL = "bad\x00value"
EVIDENCE = [{"criterion": "owns-outcomes", "text": "Shipped it.", "links": []}]


@pytest.fixture
def hr(as_user, ladder_people):
    return as_user(ladder_people["hr"])


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("post", "/api/v1/members/", {"username": "ok", "email": "a@b.co", "level": NUL}),
        (
            "post",
            "/api/v1/members/",
            {"username": "ok", "email": "a@b.co", "level": "pm", "manager": NUL},
        ),
        ("post", "/api/v1/members/", {"username": NUL, "email": "a@b.co", "level": "pm"}),
        (
            "post",
            "/api/v1/promotions/",
            {"candidate": 1, "to_level": NUL, "justification": "x", "evidence": EVIDENCE},
        ),
        (
            "post",
            "/api/v1/promotions/",
            {"candidate": 1, "to_level": "pm", "justification": NUL, "evidence": EVIDENCE},
        ),
        (
            "post",
            "/api/v1/promotions/",
            {
                "candidate": 1,
                "to_level": "pm",
                "justification": "x",
                "evidence": [{"criterion": NUL, "text": NUL, "links": [NUL]}],
            },
        ),
        (
            "post",
            "/api/v1/promotions/",
            {"candidate": 1, "to_level": "pm", "justification": "x", "evidence": NUL},
        ),
        (
            "post",
            "/api/v1/promotions/",
            {"candidate": [1], "to_level": {"a": 1}, "justification": 5},
        ),
        ("post", "/api/v1/promotions/", [1, 2, 3]),
        ("post", "/api/v1/promotions/", "just a string"),
        ("post", "/api/v1/auth/token/", {"username": NUL, "password": NUL}),
        ("get", "/api/v1/promotions/?to_level=bad%00value", None),
        ("get", "/api/v1/promotions/?candidate=%00", None),
        ("get", "/api/v1/promotions/?state=%00", None),
        ("get", "/api/v1/promotions/?page=%00", None),
        ("get", "/api/v1/promotions/?page_size=-5", None),
        ("get", "/api/v1/members/?page=99999", None),
        ("get", "/api/v1/promotions/%00/", None),
        ("get", "/api/v1/promotions/99999999999999999999999/", None),
        ("get", "/api/v1/ladder/levels/bad%00value/", None),
    ],
)
def test_malformed_input_is_a_clean_4xx(hr, method, url, body):
    response = getattr(hr, method)(url, body, format="json") if body is not None else hr.get(url)
    assert 400 <= response.status_code < 500 or response.status_code == 200, response.content
    assert response["Content-Type"].startswith("application/json")
    if response.status_code >= 400:
        assert {"detail", "code"} <= set(response.json())


def test_a_token_with_a_nul_byte_is_401(api):
    response = api.get("/api/v1/members/", HTTP_AUTHORIZATION="Token bad\x00token")
    assert response.status_code == 401
