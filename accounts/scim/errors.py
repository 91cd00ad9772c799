"""SCIM's error answers (RFC 7644 §3.12): every refusal of /scim/v2/ is one of these, turned into
a body with `schemas`, `status`, `scimType` and `detail` by the views. The ladder's own domain
errors (core.errors) are translated here, so its services need know nothing of SCIM."""

from core.errors import DomainError
from ladder.errors import ErrorCode as LadderCode


class ScimError(Exception):
    def __init__(self, status: int, detail: str, scim_type: str | None = None):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.scim_type = scim_type


def invalid_value(detail: str) -> ScimError:
    return ScimError(400, detail, "invalidValue")


def mutability(detail: str) -> ScimError:
    return ScimError(400, detail, "mutability")


def not_found(detail: str = "No such resource.") -> ScimError:
    return ScimError(404, detail)


# A domain error's code → (status, scimType), where the kind alone does not say it.
_BY_CODE: dict[str, tuple[int, str]] = {
    LadderCode.USERNAME_TAKEN: (409, "uniqueness"),
    LadderCode.LEVEL_READ_ONLY: (400, "mutability"),
}
_BY_KIND: dict[str, tuple[int, str | None]] = {
    DomainError.INVALID: (400, "invalidValue"),
    DomainError.FORBIDDEN: (403, None),
    DomainError.NOT_FOUND: (404, None),
    DomainError.CONFLICT: (409, None),
    DomainError.UNPROCESSABLE: (400, "invalidValue"),
}


def from_domain(exc: DomainError) -> ScimError:
    status, scim_type = _BY_CODE.get(exc.code) or _BY_KIND.get(exc.kind, (400, None))
    return ScimError(status, exc.message, scim_type)
