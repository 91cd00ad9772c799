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
