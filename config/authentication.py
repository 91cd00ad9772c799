from rest_framework import authentication, exceptions

from accounts.services import token_authenticate


class TokenAuthentication(authentication.TokenAuthentication):
    """`Authorization: Token <key>` with the keys of accounts.ApiToken."""

    def authenticate_credentials(self, key):
        # PostgreSQL raises on NUL bytes in text; a digest is looked up, but refuse early anyway.
        if "\x00" in key:
            raise exceptions.AuthenticationFailed("Invalid token.")
        token = token_authenticate(key=key)
        if token is None:
            raise exceptions.AuthenticationFailed(
                "Invalid token: unknown, revoked or expired. Ask for a new one at auth/token/."
            )
        return (token.user, token)
