from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from accounts import sso
from accounts.errors import SsoRequired
from accounts.models import ApiToken
from accounts.services import token_issue, token_revoke, tokens_revoke_for
from config.errors import ErrorCode
from config.parsers import JSONParser
from config.schema import error_response
from config.throttling import LoginRateThrottle


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()


@extend_schema(tags=["auth"])
class TokenView(APIView):
    """POST `{"username", "password"}` → `{"token"}`, a new token (throttled per client address;
    repeated failures lock the username out for a while, django-axes). DELETE revokes the token
    that authenticates the request (signed in by session: every token of the user)."""

    parser_classes = [JSONParser]

    def get_permissions(self):
        return [IsAuthenticated()] if self.request.method == "DELETE" else [AllowAny()]

    def get_throttles(self):
        return [LoginRateThrottle()] if self.request.method == "POST" else super().get_throttles()

    @extend_schema(
        request=AuthTokenSerializer,
        responses={
            200: TokenSerializer,
            401: error_response("A wrong username or password (`authorization`)."),
            403: error_response(
                "A staff user's password where staff must sign in with single sign-on "
                "(SSO_REQUIRED_FOR_STAFF, `permission_denied`)."
            ),
        },
    )
    def post(self, request):
        """Log in: exchange a username and password for an API token.

        Public (no credentials needed). Answers a new token; send it as `Authorization: Bearer
        <key>` (or `Authorization: Token <key>`). The key is shown once and never stored. A
        wrong username or password (or an inactive user) is 401 `authorization`; a body without
        both, or not text, is 400. Requests are throttled per client address (429 `throttled`),
        and repeated failures lock the username out from that address for a while (429
        `locked_out`)."""
        serializer = AuthTokenSerializer(data=request.data, context={"request": request})
        try:
            serializer.is_valid(raise_exception=True)
        except exceptions.ValidationError as exc:
            # django-axes marks the request it was given, which is DRF's, not Django's: the
            # middleware never sees it, so the lockout is answered here.
            if getattr(request, "axes_locked_out", False):
                raise LockedOut() from None
            # DRF's serializer refuses credentials that do not authenticate as a 400 with this
            # one code; they are well-formed, so the answer is 401 (the fields' errors stay 400).
            if exc.get_codes() == {api_settings.NON_FIELD_ERRORS_KEY: [ErrorCode.AUTHORIZATION]}:
                raise WrongCredentials() from None
            raise
        user = serializer.validated_data["user"]
        if user.is_staff and sso.staff_must_use_sso():
            raise SsoRequired(sso.password_refused_message())
        return Response({"token": token_issue(user=user)})

    @extend_schema(request=None, responses={204: None})
    def delete(self, request):
        """Log out: revoke the token that signs this request.

        Signed in by session instead, every token of the user is revoked (signing out of the API
        everywhere)."""
        if isinstance(request.auth, ApiToken):
            token_revoke(token=request.auth)
        else:
            tokens_revoke_for(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class WrongCredentials(exceptions.AuthenticationFailed):
    default_detail = "Unable to log in with provided credentials."
    default_code = ErrorCode.AUTHORIZATION


class LockedOut(exceptions.APIException):
    status_code = 429
    default_detail = "Too many failed logins: try again later."
    default_code = ErrorCode.LOCKED_OUT
