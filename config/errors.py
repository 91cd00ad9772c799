"""One place that turns errors into JSON bodies with `detail` and a machine-readable `code`."""

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, JsonResponse
from django.views import defaults
from django.views.csrf import csrf_failure as html_csrf_failure
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from ladder.errors import DomainError

STATUS_BY_KIND = {
    DomainError.INVALID: status.HTTP_400_BAD_REQUEST,
    DomainError.FORBIDDEN: status.HTTP_403_FORBIDDEN,
    DomainError.NOT_FOUND: status.HTTP_404_NOT_FOUND,
    DomainError.CONFLICT: status.HTTP_409_CONFLICT,
    DomainError.UNPROCESSABLE: status.HTTP_422_UNPROCESSABLE_ENTITY,
}


def api_exception_handler(exc, context):
    if isinstance(exc, DomainError):
        body = {"detail": exc.message, "code": exc.code, **exc.extra}
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
            "code": _first(exc.get_codes(), "invalid"),
            "errors": exc.detail,
        }
    else:
        response.data = {"detail": str(exc.detail), "code": exc.get_codes()}
    return response


def _first(nested, default: str) -> str:
    """The first leaf of DRF's nested error structure (the detail or its code)."""
    while isinstance(nested, dict | list) and nested:
        nested = next(iter(nested.values())) if isinstance(nested, dict) else nested[0]
    return str(nested) if nested else default


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def not_found(request, exception=None):
    if _is_api(request):
        return api_not_found(request)
    return defaults.page_not_found(request, exception)


def api_not_found(request, *args, **kwargs):
    return JsonResponse({"detail": "Not found.", "code": "not_found"}, status=404)


def server_error(request):
    if _is_api(request):
        return JsonResponse({"detail": "Server error.", "code": "server_error"}, status=500)
    return defaults.server_error(request)


def csrf_failure(request, reason=""):
    if _is_api(request):
        body = {"detail": f"CSRF failed: {reason}", "code": "csrf_failed"}
        return JsonResponse(body, status=403)
    return html_csrf_failure(request, reason=reason)


def locked_out(request, credentials=None, *args, **kwargs):
    """django-axes: too many failed logins for this username from this address."""
    detail = "Too many failed logins: try again later."
    if _is_api(request):
        return JsonResponse({"detail": detail, "code": "locked_out"}, status=429)
    return HttpResponse(detail, status=429, content_type="text/plain; charset=utf-8")
