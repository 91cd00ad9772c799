"""The base of every domain error, the codes any app may give, and the registry of every app's.

Each domain error carries a machine-readable `code` and a `kind` that config/errors.py maps to an
HTTP status, so services never import DRF. The base lives here, outside the apps, because the
apps import one another one way only (promotions → ladder → accounts) and notifications imports
neither ladder nor promotions: all of them can import this module, and it imports none of them.

The registry: each app declares its own codes as an `ErrorCode` enum in its `errors` module, and
`app_error_codes` finds them there, as the admin finds each app's `admin` module: core names no
app. config/errors.py adds the HTTP layer's codes and DRF's, for the one list the OpenAPI schema
shows.
"""

from enum import StrEnum
from importlib import import_module
from importlib.util import find_spec

from django.apps import apps


class ErrorCode(StrEnum):
    """The codes of the generic domain errors below, and those the ground's rules give whichever
    app asks them (core.validators, core.serializers, core.destinations)."""

    INVALID = "invalid"
    PERMISSION_DENIED = "permission_denied"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    UNPROCESSABLE = "unprocessable"
    # Raised by the strict serializers and the validators (as DRF validation codes).
    UNKNOWN_FIELD = "unknown_field"
    FUTURE_DATE = "future_date"
    DATE_TOO_FAR = "date_too_far"
    CONTROL_CHARACTER = "control_character"
    FORMAT_CHARACTER = "format_character"
    # The SSRF guard (core.destinations). Its one user is webhooks, whose API has always answered
    # with this code: the name stays what clients parse.
    WEBHOOK_URL_REFUSED = "webhook_url_refused"


def app_error_codes() -> list[type[StrEnum]]:
    """core's ErrorCode, then the `ErrorCode` of each installed app's `errors` module: the
    registry of the domain's codes. Call it once the apps are loaded."""
    registries: list[type[StrEnum]] = [ErrorCode]
    for app in apps.get_app_configs():
        name = f"{app.name}.errors"
        if find_spec(name) is None:
            continue
        codes = getattr(import_module(name), "ErrorCode", None)
        if isinstance(codes, type) and issubclass(codes, StrEnum) and codes not in registries:
            registries.append(codes)
    return registries


class DomainError(Exception):
    INVALID = "invalid"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    UNPROCESSABLE = "unprocessable"

    kind = INVALID
    code: str = ErrorCode.INVALID  # a member of some app's ErrorCode
    default_message = "Invalid request."

    def __init__(self, message: str | None = None, *, code: str | None = None, **extra):
        self.message = message or self.default_message
        if code:
            self.code = code
        self.extra = extra
        super().__init__(self.message)


class InvalidInput(DomainError):
    kind = DomainError.INVALID


class NotAllowed(DomainError):
    kind = DomainError.FORBIDDEN
    code: str = ErrorCode.PERMISSION_DENIED
    default_message = "You do not have permission to perform this action."


class NotFound(DomainError):
    kind = DomainError.NOT_FOUND
    code: str = ErrorCode.NOT_FOUND
    default_message = "Not found."


class Conflict(DomainError):
    kind = DomainError.CONFLICT
    code: str = ErrorCode.CONFLICT
    default_message = "The request conflicts with the current state."


class Unprocessable(DomainError):
    kind = DomainError.UNPROCESSABLE
    code: str = ErrorCode.UNPROCESSABLE
    default_message = "The request cannot be processed as sent."


class DestinationRefused(InvalidInput):
    """A URL the service will not send to (core.destinations): its scheme, its form, or where it
    resolves."""

    code: str = ErrorCode.WEBHOOK_URL_REFUSED
