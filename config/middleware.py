import json
import re
from http import HTTPStatus

from django.conf import settings
from django.http import HttpResponse, HttpResponseBadRequest, JsonResponse
from django.http.response import HttpResponseRedirectBase
from django.middleware.common import CommonMiddleware
from django.urls import Resolver404, resolve
from django.utils.http import escape_leading_slashes
from rest_framework.response import Response

from config.errors import ErrorCode


class HttpResponsePermanentRedirectKeepMethod(HttpResponseRedirectBase):
    status_code = 308


class SlashRedirectMiddleware(CommonMiddleware):
    """APPEND_SLASH without its DEBUG-only RuntimeError on POST.

    In DEBUG Django answers a POST without its trailing slash with a 500; we answer 308, which
    tells the client to repeat the same method and body at the right URL. API routes accept both
    forms already, so this concerns the admin and the docs pages.
    """

    response_redirect_class = HttpResponsePermanentRedirectKeepMethod

    def get_full_path_with_slash(self, request):
        return escape_leading_slashes(request.get_full_path(force_append_slash=True))


def body_limit(request) -> int:
    """The largest body a request to this path may declare: the API's JSON, a view that takes a
    file, or any other form (the admin, the login pages, /healthz)."""
    if request.path.startswith("/api/"):
        return settings.API_MAX_BODY_BYTES
    declared = int(request.META.get("CONTENT_LENGTH") or 0)
    if declared > settings.FORM_MAX_BODY_BYTES:  # only then is the view worth looking up
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return settings.FORM_MAX_BODY_BYTES
        if getattr(match.func, "accepts_upload", False):
            return settings.UPLOAD_MAX_BODY_BYTES
    return settings.FORM_MAX_BODY_BYTES


class RequestBodyLimitMiddleware:
    """Refuses any request whose declared body is larger than its path allows (413), before
    anything reads it: on every path, for everyone, authenticated or not (a later middleware
    reads form bodies). The WSGI server never hands Django more than Content-Length bytes, and a
    body sent without one is read as empty."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        api = request.path.startswith("/api/")
        declared = request.META.get("CONTENT_LENGTH") or "0"
        if not re.fullmatch(r"[0-9]{1,18}", declared):
            detail = "Malformed Content-Length."
            if api:
                return JsonResponse({"detail": detail, "code": "bad_content_length"}, status=400)
            return HttpResponseBadRequest(detail, content_type="text/plain; charset=utf-8")
        limit = body_limit(request)
        if int(declared) > limit:
            detail = f"The request body is over {limit} bytes."
            if api:
                return JsonResponse({"detail": detail, "code": "request_too_large"}, status=413)
            return HttpResponse(detail, status=413, content_type="text/plain; charset=utf-8")
        return self.get_response(request)


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class RefuseNulBytesMiddleware:
    """PostgreSQL refuses NUL bytes in text: a query string or form field carrying one would end
    in a database error (a 500) wherever it reaches a lookup, the admin's filters and search
    included. Refuse it up front with a 400. (JSON bodies are checked by the API's fields.)"""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if self._has_nul(request.GET) or (
            request.method == "POST"
            and request.content_type in FORM_TYPES
            and not request.path.startswith("/api/")  # the API reads JSON only, field by field
            and self._has_nul(request.POST)
        ):
            detail = "NUL characters are not allowed in requests."
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": detail, "code": "nul_character"}, status=400)
            return HttpResponseBadRequest(detail)
        return self.get_response(request)

    @staticmethod
    def _has_nul(data) -> bool:
        return any("\x00" in key or any("\x00" in v for v in data.getlist(key)) for key in data)


CODE_BY_STATUS = {
    400: ErrorCode.BAD_REQUEST,
    403: ErrorCode.PERMISSION_DENIED,
    404: ErrorCode.NOT_FOUND,
    405: ErrorCode.METHOD_NOT_ALLOWED,
    413: ErrorCode.REQUEST_TOO_LARGE,
}


SCIM_CONTENT_TYPE = "application/scim+json"


class APIErrorsAsJSONMiddleware:
    """Every error on /api/ answers JSON with `detail` and `code`, also the ones Django gives
    before DRF sees the request: a Host not allowed, another SuspiciousOperation, and under DEBUG
    its technical pages (which list the settings). The outermost middleware, so it sees every
    answer. DRF's own answers are left as they are (sessions get the browsable API's pages).
    On /scim/ the same errors answer SCIM's error body."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.status_code >= 400
            and request.path.startswith("/api/")
            and not isinstance(response, Response)
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            status = response.status_code
            code = CODE_BY_STATUS.get(status, ErrorCode.SERVER_ERROR)
            body = {"detail": HTTPStatus(status).phrase + ".", "code": code}
            json_response = JsonResponse(body, status=status)
            if response.has_header("Allow"):
                json_response["Allow"] = response["Allow"]
            return json_response
        if (
            response.status_code >= 400
            and request.path.startswith("/scim/")
            and not response.get("Content-Type", "").startswith(SCIM_CONTENT_TYPE)
        ):
            # SCIM's error body (RFC 7644 §3.12) for what is refused before its views: a body
            # over the limit, a malformed Content-Length, a NUL in the query, a server error.
            status = response.status_code
            scim_error = {
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
                "status": str(status),
                "detail": HTTPStatus(status).phrase + ".",
            }
            return HttpResponse(
                json.dumps(scim_error), status=status, content_type=SCIM_CONTENT_TYPE
            )
        return response
