"""OpenAPI: every operation documents its error responses, with one error body."""

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers
from rest_framework.permissions import AllowAny


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="What went wrong, for people.")
    code = serializers.CharField(help_text="What went wrong, for programs (e.g. `invalid_move`).")
    errors = serializers.DictField(
        required=False, help_text="Per-field messages, on validation errors."
    )
    allowed_moves = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="On `invalid_move`: the level codes the candidate may move to.",
    )


def _error(description: str) -> OpenApiResponse:
    return OpenApiResponse(ErrorSerializer, description=description)


ERRORS = {
    400: _error("Invalid input."),
    401: _error("No or bad credentials."),
    403: _error("Not allowed to do this (or a CSRF failure)."),
    404: _error("No such object, or one you may not see."),
    405: _error("Method not allowed."),
    409: _error("Not possible from the current state."),
    413: _error("Request body too large."),
    415: _error("Unsupported media type: send JSON."),
    422: _error("Idempotency key reused with another body."),
    429: _error("Too many requests: slow down."),
}
READ_ERRORS = [400, 401, 404, 405]
WRITE_ERRORS = [400, 401, 403, 404, 405, 413, 415, 429]


class ErrorDocumentingAutoSchema(AutoSchema):
    """Adds the error responses an operation can give. Views add codes of their own with
    `extra_error_statuses` (e.g. 409 for transitions), or per action with
    `extra_error_statuses_by_action`."""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        public = all(isinstance(p, AllowAny) for p in self.view.get_permissions())
        statuses = READ_ERRORS if self.method in ("GET", "HEAD") else WRITE_ERRORS
        statuses = [
            *statuses,
            *getattr(self.view, "extra_error_statuses", []),
            *getattr(self.view, "extra_error_statuses_by_action", {}).get(
                getattr(self.view, "action", None), []
            ),
        ]
        for status in statuses:
            if status == 401 and public:
                continue
            responses.setdefault(
                str(status), self._get_response_for_code(ERRORS[status], str(status))
            )
        return responses
