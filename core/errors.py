"""The base of every domain error, and the codes any app may give.

Each domain error carries a machine-readable `code` and a `kind` that config/errors.py maps to an
HTTP status, so services never import DRF. The base lives here, outside the apps, because the
apps import one another one way only (promotions → ladder → accounts) and notifications imports
neither ladder nor promotions: all of them can import this module, and it imports none of them.

Each app keeps its own codes in an `ErrorCode` enum in its `errors` module; config/errors.py
gathers them all (with the HTTP layer's and DRF's) into the one list the OpenAPI schema shows.
"""

from enum import StrEnum


class ErrorCode(StrEnum):
    """The codes of the generic domain errors below."""

    INVALID = "invalid"
    PERMISSION_DENIED = "permission_denied"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    UNPROCESSABLE = "unprocessable"


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
