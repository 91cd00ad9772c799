from rest_framework import authentication, exceptions

from accounts.services import token_authenticate

# The words an API token may follow in `Authorization`, compared as RFC 7235 compares schemes
# (case-insensitively): `Bearer` (RFC 6750; what generated clients send) and `Token` (DRF's word,
# which the API took first and keeps for the clients written against it).
SCHEMES = (b"bearer", b"token")


class TokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer <key>` or `Authorization: Token <key>`, with the keys of
    accounts.ApiToken. Another scheme is not ours: the request is then unauthenticated (401)."""

    def authenticate(self, request):
        words = authentication.get_authorization_header(request).split()
        if not words or words[0].lower() not in SCHEMES:
            return None
        if len(words) != 2:
            raise exceptions.AuthenticationFailed(
                "Invalid Authorization header: send `Bearer`, a space, then the key."
            )
        try:
            key = words[1].decode()
        except UnicodeError:
            raise exceptions.AuthenticationFailed("Invalid token.") from None
        return self.authenticate_credentials(key)

    def authenticate_credentials(self, key: str):
        # PostgreSQL raises on NUL bytes in text; a digest is looked up, but refuse early anyway.
        if "\x00" in key:
            raise exceptions.AuthenticationFailed("Invalid token.")
        token = token_authenticate(key=key)
        if token is None:
            raise exceptions.AuthenticationFailed(
                "Invalid token: unknown, revoked or expired. Ask for a new one at auth/token/."
            )
        return (token.user, token)

    def authenticate_header(self, request) -> str:
        # The challenge of every 401 (WWW-Authenticate); DRF answers 403 where there is none.
        return "Bearer"
