from django.conf import settings
from django.http import JsonResponse
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
            if not declared.isdigit():
                body = {"detail": "Malformed Content-Length.", "code": "bad_content_length"}
                return JsonResponse(body, status=400)
            if int(declared) > settings.API_MAX_BODY_BYTES:
                body = {
                    "detail": f"The request body is over {settings.API_MAX_BODY_BYTES} bytes.",
                    "code": "request_too_large",
                }
                return JsonResponse(body, status=413)
        return self.get_response(request)
