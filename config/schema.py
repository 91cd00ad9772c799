"""OpenAPI: every operation has a summary and a description (from its handler's docstring), the
error responses it can give (one error body), and its real security requirement."""

import re

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import get_doc
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers
from rest_framework.permissions import SAFE_METHODS, AllowAny

from config.errors import ERROR_CODES
from core.ids import ID_PATTERN
from promotions.cycles.serializers import ReasonSerializer


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="What went wrong, for people.")
    code = serializers.ChoiceField(
        choices=ERROR_CODES,
        help_text="What went wrong, for programs (e.g. `invalid_move`); docs/api.md lists them.",
    )
    # A declared field, not Serializer.errors: DRF's metaclass takes fields off the class.
    errors = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="On validation errors: the messages per field. A nested field is named by its "
        "path (`reviews.0.comment`); errors of no one field are under `non_field_errors`.",
    )
    allowed_moves = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="On `invalid_move`: the level codes the candidate may move to.",
    )
    missing_criteria = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="On `evidence_missing` and `ratings_missing`: the codes of the criteria "
        "without one, in order (all of them when `evidence` or `ratings` is absent).",
    )
    unknown_criteria = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="On `unknown_criterion`: the codes that are no criterion here.",
    )
    reasons = ReasonSerializer(
        many=True,
        required=False,
        help_text="On `not_eligible`: every reason the member may not be nominated now.",
    )


def error_response(description: str) -> OpenApiResponse:
    """An error status of one operation, described in its own words (`extend_schema(responses=)`);
    the others get ERRORS' descriptions."""
    return OpenApiResponse(ErrorSerializer, description=description)


ERRORS = {
    400: error_response(
        "Invalid input: a field of the body or the query string (see `errors`), or a malformed "
        "request (body, `Content-Length`, a NUL character)."
    ),
    401: error_response("No credentials, or a token that is unknown, revoked or expired."),
    403: error_response(
        "Not allowed to do this (signed in by session: also a missing or wrong CSRF token)."
    ),
    404: error_response(
        "No such object, or one you may not see (on lists: a page past the last one)."
    ),
    406: error_response("The `Accept` header asks for something other than JSON."),
    409: error_response(
        "Not possible now: the state of the promotion or cycle, or the member's eligibility "
        "(see `code`)."
    ),
    413: error_response("Request body too large."),
    415: error_response("Unsupported media type: send JSON (`Content-Type: application/json`)."),
    422: error_response("The Idempotency-Key was used before with another request body."),
    429: error_response("Too many requests: slow down (see the `Retry-After` header)."),
}
# Every operation: bad input or malformed request, no such object, Accept not JSON.
ALWAYS = [400, 404, 406]
# Unsafe methods: CSRF and permissions, body size limit, write throttle.
UNSAFE = [403, 413, 429]
WITH_BODY = [415]


class ErrorDocumentingAutoSchema(AutoSchema):
    """Adds the error responses an operation can give. Views add statuses of their own with
    `extra_error_statuses` (every operation of the view) or `extra_error_statuses_by_action`
    (keyed by viewset action, or by method name on a plain APIView), e.g. 409 on transitions,
    403 on reading reviews.

    The summary is the first paragraph of the handler's docstring, the description the rest."""

    def _action(self) -> str:
        return getattr(self.view, "action", None) or self.method.lower()

    def _docstring(self) -> tuple[str, str]:
        doc = get_doc(getattr(self.view, self._action(), None))
        summary, _, description = doc.partition("\n\n")
        return " ".join(summary.split()), description.strip()

    def get_summary(self):
        return self._docstring()[0] or None

    # The same signature as drf-spectacular's (which differs from DRF's base class).
    def get_description(self) -> str:  # type: ignore[override]
        return self._docstring()[1]

    def _is_public(self) -> bool:
        return all(isinstance(p, AllowAny) for p in self.view.get_permissions())

    def get_auth(self):
        auth = super().get_auth()  # registers the security schemes either way
        return [] if self._is_public() else auth

    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        if operation is not None and self._is_public():
            operation["security"] = []  # no credentials needed (none of the schemes)
        return operation

    def _resolve_path_parameters(self, variables):
        """An id in a path is a whole number (core.ids.ID_PATTERN): say so, rather than
        "a string of digits", so generated clients take an integer."""
        parameters = super()._resolve_path_parameters(variables)
        for parameter in parameters:
            if parameter["schema"].get("pattern") == f"^{ID_PATTERN}$":
                parameter["schema"] = {"type": "integer", "minimum": 1, "maximum": 10**18 - 1}
                parameter.setdefault("description", "An id (a whole number).")
        return parameters

    def error_statuses(self) -> list[int]:
        statuses = [*ALWAYS, 401]
        if self.method not in SAFE_METHODS:
            statuses += UNSAFE
            if self.method in ("POST", "PUT", "PATCH"):
                statuses += WITH_BODY
        statuses += getattr(self.view, "extra_error_statuses", [])
        statuses += getattr(self.view, "extra_error_statuses_by_action", {}).get(self._action(), [])
        return sorted(set(statuses))

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for status in self.error_statuses():
            response = self._get_response_for_code(ERRORS[status], str(status))
            # Errors are JSON everywhere, also on a route that answers CSV.
            content = response.get("content", {})
            if content and "application/json" not in content:
                response["content"] = {"application/json": next(iter(content.values()))}
            responses.setdefault(str(status), response)
        return responses


class TokenScheme(OpenApiAuthenticationExtension):
    target_class = "config.authentication.TokenAuthentication"
    name = "tokenAuth"
    priority = 1

    def get_security_definition(self, auto_schema):
        # HTTP bearer: a generated client sends `Bearer <key>` with no prefix to configure.
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API token, sent as `Authorization: Bearer <key>` (the word "
            "`Bearer`, a space, then the key); `Authorization: Token <key>` works too. Get a key "
            "from `POST /api/v1/auth/token/` with a username and password; `DELETE "
            "/api/v1/auth/token/` revokes it. A token unused for "
            f"{settings.API_TOKEN_TTL_HOURS} hours stops working, and so do a user's tokens "
            "when their password changes or they are deactivated.",
        }


class SessionScheme(OpenApiAuthenticationExtension):
    target_class = "rest_framework.authentication.SessionAuthentication"
    name = "cookieAuth"
    priority = 1

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "cookie",
            "name": settings.SESSION_COOKIE_NAME,
            "description": "The session of a user signed in to the admin (/admin/), for "
            "browsing the API; unsafe methods need the CSRF token too.",
        }


def postprocess(result, generator, request, public):
    """Fixes drf-spectacular's output for linters and generators:

    - paths without their trailing slash: every API route accepts both forms, and OpenAPI
      linters refuse a trailing slash (Redocly's `no-path-trailing-slash`);
    - a nullable choice field is `oneOf: [TheEnum, NullEnum]`: the `NullEnum` branch already
      admits null, so the `nullable` beside `oneOf` (which OpenAPI 3.0 allows only beside a
      `type`) goes;
    - a nullable nested object is `allOf: [TheObject]` with `nullable` (which OpenAPI 3.0 allows
      only beside a `type`): it becomes `oneOf: [TheObject, NullEnum]`, as a nullable choice is,
      which generated clients read as "the object or null"."""
    result["paths"] = {
        (path.rstrip("/") or "/"): operations for path, operations in result["paths"].items()
    }
    schemas = result.get("components", {}).get("schemas", {})
    null_enum = "#/components/schemas/NullEnum"
    for component in schemas.values():
        for prop in component.get("properties", {}).values():
            branches = prop.get("oneOf", [])
            if prop.get("nullable") and {"$ref": null_enum} in branches and "type" not in prop:
                del prop["nullable"]
            if prop.get("nullable") and len(prop.get("allOf", [])) == 1 and "type" not in prop:
                prop["oneOf"] = [prop.pop("allOf")[0], {"$ref": null_enum}]
                del prop["nullable"]
                schemas.setdefault("NullEnum", {"enum": [None]})
    _drop_trivial_choice_lists(result)
    if "ErrorCodeEnum" in schemas:
        schemas["ErrorCodeEnum"]["description"] = (
            "Every code an error body may carry (`Error.code`): the HTTP layer's, DRF's field "
            "validation codes and each app's own. docs/api.md explains them."
        )
    return result


TRIVIAL_CHOICE = re.compile(r"^\* `(.+)` - \1$")


def _drop_trivial_choice_lists(node) -> None:
    """drf-spectacular lists an enum's choices as "* `value` - label" in descriptions; where
    every label is the value itself (the error codes) the list says nothing: drop it."""
    if isinstance(node, dict):
        description = node.get("description")
        if isinstance(description, str):
            lines = description.split("\n")
            choices = [line for line in lines if line.startswith("* `")]
            if choices and all(TRIVIAL_CHOICE.match(line) for line in choices):
                kept = "\n".join(line for line in lines if line not in choices).strip()
                if kept:
                    node["description"] = kept
                else:
                    del node["description"]
        for value in node.values():
            _drop_trivial_choice_lists(value)
    elif isinstance(node, list):
        for value in node:
            _drop_trivial_choice_lists(value)
