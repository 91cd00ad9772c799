"""Error codes have one registry (config.errors.ERROR_CODES, gathered from each app's ErrorCode
enum and the HTTP layer's), and the OpenAPI schema documents `Error.code` as exactly that enum: a
generated client parses `code` into an enum and fails on a code it does not know."""

import re
from pathlib import Path

import pytest
from rest_framework import serializers

import config.auth_views
import ladder.serializers
import notifications.serializers
import promotions.cycles.serializers
import promotions.delegations.serializers
import promotions.requests.serializers
import promotions.serializers
import webhooks.serializers
from config.errors import ERROR_CODES, field_errors
from core.errors import DomainError
from notifications.errors import NotificationNotFound
from promotions.filters import PromotionFilter
from tests.openapi import api_schema

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [
    "accounts",
    "audit",
    "config",
    "core",
    "ladder",
    "notifications",
    "promotions",
    "webhooks",
]
# `code="..."`, `code = "..."`, `default_code = "..."` and `"code": "..."` with a literal.
LITERAL_CODE = re.compile(
    r"""(?:\b(?:default_)?code\s*=\s*|["']code["']\s*:\s*)["']([a-z_]+)["']"""
)


def source_files():
    for package in SOURCES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" not in path.parts:
                yield path


def test_every_code_written_in_the_source_is_registered():
    found = {}
    for path in source_files():
        for code in LITERAL_CODE.findall(path.read_text()):
            found.setdefault(code, path.relative_to(ROOT))
    assert found, "the scan found nothing: has the pattern gone stale?"
    unregistered = {code: str(path) for code, path in found.items() if code not in ERROR_CODES}
    assert not unregistered


def test_every_domain_error_has_a_registered_code():
    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    import promotions.errors  # noqa: F401  (registers its subclasses)
    import webhooks.errors  # noqa: F401

    for cls in [DomainError, *subclasses(DomainError)]:
        assert cls.code in ERROR_CODES, cls


def writable_fields(serializer):
    for field in serializer.fields.values():
        if field.read_only:
            continue
        yield field
        if isinstance(field, serializers.Serializer):
            yield from writable_fields(field)
        child = getattr(field, "child", None)
        if child is not None:
            yield child


def request_serializers():
    """The serializers of the schema's request bodies (components `<Name>Request`, and
    `Patched<Name>Request` for PATCH): every body a client can send."""
    schema = api_schema()
    modules = [
        ladder.serializers,
        promotions.serializers,
        promotions.cycles.serializers,
        promotions.delegations.serializers,
        promotions.requests.serializers,
        notifications.serializers,
        webhooks.serializers,
    ]
    classes = {"AuthTokenSerializer": config.auth_views.AuthTokenSerializer}
    for module in modules:
        for name, value in vars(module).items():
            if isinstance(value, type) and issubclass(value, serializers.Serializer):
                classes[name] = value
    for component in sorted(schema["components"]["schemas"]):
        if component.endswith("Request"):
            name = component.removeprefix("Patched").removesuffix("Request") + "Serializer"
            assert name in classes, component
            yield classes[name]()


@pytest.mark.parametrize("serializer", list(request_serializers()), ids=lambda s: type(s).__name__)
def test_every_validation_code_of_the_request_bodies_is_registered(serializer):
    codes = set(serializer.error_messages)
    for field in writable_fields(serializer):
        codes |= set(field.error_messages)
        codes |= {getattr(v, "code", "invalid") for v in field.validators}
    assert codes - set(ERROR_CODES) == set()


def test_every_validation_code_of_the_filters_is_registered():
    from notifications.views import InboxFilter
    from webhooks.views import DeliveryFilter

    codes = set()
    for filterset in (PromotionFilter, InboxFilter, DeliveryFilter):
        for filter_ in filterset.base_filters.values():
            field = filter_.field
            codes |= set(field.error_messages)
            codes |= {getattr(v, "code", "invalid") for v in field.validators}
    assert codes - set(ERROR_CODES) == set()


def test_the_schema_documents_error_code_as_the_registry():
    schema = api_schema()
    components = schema["components"]["schemas"]
    assert components["ErrorCodeEnum"]["enum"] == ERROR_CODES
    assert components["Error"]["properties"]["code"] == {
        "allOf": [{"$ref": "#/components/schemas/ErrorCodeEnum"}],
        "description": components["Error"]["properties"]["code"]["description"],
    }
    errors = components["Error"]["properties"]["errors"]
    assert errors["additionalProperties"] == {"type": "array", "items": {"type": "string"}}


def test_validation_errors_are_flattened_to_lists_of_strings():
    detail = {
        "note": ["Too long."],
        "reviews": [{"comment": ["Required."]}, {}],
        "manager": {"username": ["Unknown."]},
    }
    assert field_errors(detail) == {
        "note": ["Too long."],
        "reviews.0.comment": ["Required."],
        "manager.username": ["Unknown."],
    }
    assert field_errors(["Whole body wrong."]) == {"non_field_errors": ["Whole body wrong."]}
    assert field_errors("Just this.") == {"non_field_errors": ["Just this."]}


@pytest.mark.django_db
def test_someone_elses_notification_is_its_own_404(as_user, people, nominate):
    from notifications.models import Notification

    nominate()
    row = Notification.objects.get(recipient=people["committee"])
    response = as_user(people["committee2"]).post(f"/api/v1/notifications/{row.pk}/read/")
    assert response.status_code == 404
    assert response.json() == {
        "detail": NotificationNotFound.default_message,
        "code": "no_such_notification",
    }
