"""A SCIM client for the tests: the Django test client with a SCIM token, JSON in and out."""

import json
from dataclasses import dataclass

from django.test import Client

from accounts.scim import tokens

BASE = "/scim/v2"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
LADDER = "urn:pmladder:params:scim:schemas:extension:ladder:2.0:User"
CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"


@dataclass
class Answer:
    status: int
    body: dict | None
    headers: dict


class Scim:
    def __init__(self, token: str | None):
        self.client = Client()
        self.token = token

    def request(self, method: str, path: str, body=None, *, raw: bytes | None = None) -> Answer:
        headers = {"HTTP_AUTHORIZATION": f"Bearer {self.token}"} if self.token else {}
        data = raw if raw is not None else (b"" if body is None else json.dumps(body).encode())
        response = self.client.generic(
            method, BASE + path, data, content_type="application/scim+json", **headers
        )
        content = response.content
        return Answer(
            response.status_code, json.loads(content) if content else None, dict(response.headers)
        )

    def get(self, path: str) -> Answer:
        return self.request("GET", path)

    def post(self, path: str, body) -> Answer:
        return self.request("POST", path, body)

    def put(self, path: str, body) -> Answer:
        return self.request("PUT", path, body)

    def patch(self, path: str, *operations) -> Answer:
        return self.request("PATCH", path, {"schemas": [PATCH_OP], "Operations": list(operations)})

    def delete(self, path: str) -> Answer:
        return self.request("DELETE", path)


def new_client(name: str = "okta") -> Scim:
    _, token = tokens.scim_token_create(actor=None, name=name)
    return Scim(token)


def okta_user(username: str, *, level: str = "pm", since: str = "2024-03-01", **extra) -> dict:
    """A user as Okta's SCIM 2.0 app creates one (userName is the e-mail address)."""
    given, _, family = username.partition("@")[0].partition(".")
    return {
        "schemas": [CORE_USER, ENTERPRISE, LADDER],
        "userName": username,
        "name": {"givenName": given.title(), "familyName": family.title() or "Doe"},
        "emails": [{"primary": True, "value": username, "type": "work"}],
        "displayName": f"{given.title()} {family.title()}",
        "locale": "en-US",
        "externalId": f"00u{abs(hash(username)) % 10**8}",
        "groups": [],
        "password": "not-kept-1!",
        "active": True,
        LADDER: {"level": level, "levelSince": since},
        **extra,
    }


def assert_error(answer: Answer, status: int, scim_type: str | None = None) -> None:
    assert answer.status == status, answer.body
    assert answer.body is not None
    assert answer.body["schemas"] == [ERROR]
    assert str(answer.body["status"]) == str(status)
    assert answer.body.get("detail")
    if scim_type is not None:
        assert answer.body.get("scimType") == scim_type, answer.body
