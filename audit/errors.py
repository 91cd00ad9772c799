"""Audit errors. Their base is core.errors: the audit app imports no domain app."""

from enum import StrEnum

from core.errors import NotAllowed


class ErrorCode(StrEnum):
    HR_ONLY = "hr_only"


class HROnly(NotAllowed):
    code = ErrorCode.HR_ONLY
    default_message = "Only HR reads the audit chain."
