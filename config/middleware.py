import re

from django.conf import settings
from django.http import HttpResponseBadRequest, JsonResponse
from django.http.response import HttpResponseRedirectBase
from django.middleware.common import CommonMiddleware
from django.utils.http import escape_leading_slashes


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


class APIBodySizeLimitMiddleware:
    """Refuses an API request whose declared body is larger than API_MAX_BODY_BYTES (413), before
    anything reads it. The WSGI server never hands Django more than Content-Length bytes."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith("/api/"):
            declared = request.META.get("CONTENT_LENGTH") or "0"
            if not re.fullmatch(r"[0-9]{1,18}", declared):
                body = {"detail": "Malformed Content-Length.", "code": "bad_content_length"}
                return JsonResponse(body, status=400)
            if int(declared) > settings.API_MAX_BODY_BYTES:
                body = {
                    "detail": f"The request body is over {settings.API_MAX_BODY_BYTES} bytes.",
                    "code": "request_too_large",
                }
                return JsonResponse(body, status=413)
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
