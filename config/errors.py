"""One place that turns errors into JSON bodies with `detail` and a machine-readable `code`, and
the registry of every code the API answers (the OpenAPI schema's `ErrorCode`)."""

import re
from enum import StrEnum

from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.views import defaults
from django.views.csrf import csrf_failure as html_csrf_failure
from django.views.debug import SafeExceptionReporterFilter
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler

from core.errors import DomainError, app_error_codes


class ErrorCode(StrEnum):
    """Codes of the HTTP layer: DRF's own (exceptions and field validation, Django's validators
    in filters), the middleware, pagination, filters and authentication. The apps' own codes are
    in their `errors` modules."""

    # The request as a whole
    BAD_REQUEST = "bad_request"  # refused before DRF reads it (e.g. a Host not allowed)
    PARSE_ERROR = "parse_error"
    JSON_TOO_DEEP = "json_too_deep"
    DUPLICATE_KEY = "duplicate_key"  # an object of the body names a key twice
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    NOT_ACCEPTABLE = "not_acceptable"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    BAD_CONTENT_LENGTH = "bad_content_length"
    REQUEST_TOO_LARGE = "request_too_large"
    NUL_CHARACTER = "nul_character"
    SERVER_ERROR = "server_error"
    # Who asks
    NOT_AUTHENTICATED = "not_authenticated"
    AUTHENTICATION_FAILED = "authentication_failed"
    AUTHORIZATION = "authorization"  # auth/token/: wrong username or password
    PERMISSION_DENIED = "permission_denied"
    CSRF_FAILED = "csrf_failed"
    THROTTLED = "throttled"
    LOCKED_OUT = "locked_out"
    # Where
    NOT_FOUND = "not_found"
    NO_SUCH_PAGE = "no_such_page"
    INVALID_PAGE = "invalid_page"
    INVALID_PAGE_SIZE = "invalid_page_size"
    # Fields of a body or a query string
    INVALID = "invalid"
    REQUIRED = "required"
    NULL = "null"
    BLANK = "blank"
    MAX_LENGTH = "max_length"
    MIN_LENGTH = "min_length"
    MAX_VALUE = "max_value"
    MIN_VALUE = "min_value"
    MAX_STRING_LENGTH = "max_string_length"
    INVALID_CHOICE = "invalid_choice"
    DOES_NOT_EXIST = "does_not_exist"
    INCORRECT_TYPE = "incorrect_type"
    DATETIME = "datetime"  # a date field given a datetime
    NULL_CHARACTERS_NOT_ALLOWED = "null_characters_not_allowed"
    # Lists in a body (evidence, links, ratings)
    NOT_A_LIST = "not_a_list"
    EMPTY = "empty"
    DUPLICATE = "duplicate"
    SURROGATE_CHARACTERS_NOT_ALLOWED = "surrogate_characters_not_allowed"


# The HTTP layer's, then core's and each app's (the registry of core.errors).
REGISTRIES: tuple[type[StrEnum], ...] = (ErrorCode, *app_error_codes())
# Every code an error body may carry, in order: OpenAPI documents `Error.code` as this enum.
ERROR_CODES: list[str] = sorted({str(code) for registry in REGISTRIES for code in registry})

STATUS_BY_KIND = {
    DomainError.INVALID: status.HTTP_400_BAD_REQUEST,
    DomainError.FORBIDDEN: status.HTTP_403_FORBIDDEN,
    DomainError.NOT_FOUND: status.HTTP_404_NOT_FOUND,
    DomainError.CONFLICT: status.HTTP_409_CONFLICT,
    DomainError.UNPROCESSABLE: status.HTTP_422_UNPROCESSABLE_ENTITY,
}


def api_exception_handler(exc, context):
    if isinstance(exc, DomainError):
        body = {"detail": exc.message, "code": str(exc.code), **exc.extra}
        return Response(body, status=STATUS_BY_KIND[exc.kind])
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()

    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = {
            "detail": _first(exc.detail, "Invalid input."),
            "code": _first(exc.get_codes(), ErrorCode.INVALID),
            "errors": field_errors(exc.detail),
        }
    else:
        response.data = {"detail": str(exc.detail), "code": exc.get_codes()}
    return response


def _first(nested, default: str) -> str:
    """The first leaf of DRF's nested error structure (the detail or its code)."""
    while isinstance(nested, dict | list) and nested:
        nested = next(iter(nested.values())) if isinstance(nested, dict) else nested[0]
    return str(nested) if nested else default


def field_errors(detail, prefix: str = "") -> dict[str, list[str]]:
    """DRF's error structure as one flat object: field → list of messages. A nested field is named
    by its path (`reviews.0.comment`); errors of no field are under `non_field_errors`."""
    here = prefix or api_settings.NON_FIELD_ERRORS_KEY
    if isinstance(detail, dict):
        flat: dict[str, list[str]] = {}
        for key, value in detail.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            for field, messages in field_errors(value, name).items():
                flat.setdefault(field, []).extend(messages)
        return flat
    if isinstance(detail, list):
        flat = {}
        for index, item in enumerate(detail):
            if isinstance(item, dict | list):
                name = f"{prefix}.{index}" if prefix else str(index)
                for field, messages in field_errors(item, name).items():
                    flat.setdefault(field, []).extend(messages)
            else:
                flat.setdefault(here, []).append(str(item))
        return flat
    return {here: [str(detail)]}


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def not_found(request, exception=None):
    if _is_api(request):
        return api_not_found(request)
    return defaults.page_not_found(request, exception)


@csrf_exempt  # it writes nothing: an unknown path is 404 for every method, never a CSRF 403
def api_not_found(request, *args, **kwargs):
    return JsonResponse({"detail": "Not found.", "code": ErrorCode.NOT_FOUND}, status=404)


def server_error(request):
    if _is_api(request):
        body = {"detail": "Server error.", "code": ErrorCode.SERVER_ERROR}
        return JsonResponse(body, status=500)
    return defaults.server_error(request)


def csrf_failure(request, reason=""):
    if _is_api(request):
        body = {"detail": f"CSRF failed: {reason}", "code": ErrorCode.CSRF_FAILED}
        return JsonResponse(body, status=403)
    return html_csrf_failure(request, reason=reason)


def locked_out(request, credentials=None, *args, **kwargs):
    """django-axes: too many failed logins for this username from this address."""
    detail = "Too many failed logins: try again later."
    if _is_api(request):
        return JsonResponse({"detail": detail, "code": ErrorCode.LOCKED_OUT}, status=429)
    return render(request, "portal/locked_out.html", status=429)


# user:password@ in a URL (DATABASE_URL, CELERY_BROKER_URL, CACHE_URL, a webhook's URL ...).
URL_CREDENTIALS = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)(?P<user>[^:/@\s]*):[^@/\s]*@", re.I)


class CredentialsHidingReporterFilter(SafeExceptionReporterFilter):
    """DEBUG's error pages list the settings and, under runserver, every environment variable:
    Django hides names like *PASSWORD* and *SECRET*, not the password inside DATABASE_URL. This
    filter also hides any URL's password, and every value named like a URL or a DSN."""

    hidden_settings = re.compile(
        # Django's own pattern, and the names of URLs that carry credentials.
        "API|AUTH|TOKEN|KEY|SECRET|PASS|SIGNATURE|HTTP_COOKIE|DATABASE_URL|BROKER|DSN|CACHE_URL",
        flags=re.I,
    )

    def cleanse_setting(self, key, value):
        value = super().cleanse_setting(key, value)
        if type(value) is str:  # not a lazy object posing as one
            return URL_CREDENTIALS.sub(rf"\g<scheme>\g<user>:{self.cleansed_substitute}@", value)
        return value
