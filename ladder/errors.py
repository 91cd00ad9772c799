"""Domain errors. Each carries a machine-readable `code` and a `kind` that config/errors.py maps
to an HTTP status, so services never import DRF."""


class DomainError(Exception):
    INVALID = "invalid"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    UNPROCESSABLE = "unprocessable"

    kind = INVALID
    code = "invalid"
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
    code = "permission_denied"
    default_message = "You do not have permission to perform this action."


class NotFound(DomainError):
    kind = DomainError.NOT_FOUND
    code = "not_found"
    default_message = "Not found."


class Conflict(DomainError):
    kind = DomainError.CONFLICT
    code = "conflict"
    default_message = "The request conflicts with the current state."


class Unprocessable(DomainError):
    kind = DomainError.UNPROCESSABLE
    code = "unprocessable"
    default_message = "The request cannot be processed as sent."
