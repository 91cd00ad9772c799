from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.parsers import JSONParser

from config.throttling import LoginRateThrottle


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()


@extend_schema(tags=["auth"], responses={200: TokenSerializer})
class TokenView(ObtainAuthToken):
    """`{"username", "password"}` → `{"token"}`. Throttled per client address; repeated
    failures lock the username out for a while (django-axes)."""

    parser_classes = [JSONParser]  # like the rest of the API (the fuzzer broke the multipart one)
    throttle_classes = [LoginRateThrottle]
    extra_error_statuses = [429]

    def post(self, request, *args, **kwargs):
        try:
            return super().post(request, *args, **kwargs)
        except exceptions.ValidationError:
            # django-axes marks the request it was given, which is DRF's, not Django's: the
            # middleware never sees it, so the lockout is answered here.
            if getattr(request, "axes_locked_out", False):
                raise LockedOut() from None
            raise


class LockedOut(exceptions.APIException):
    status_code = 429
    default_detail = "Too many failed logins: try again later."
    default_code = "locked_out"
