from rest_framework import authentication, exceptions


class TokenAuthentication(authentication.TokenAuthentication):
    def authenticate_credentials(self, key):
        # PostgreSQL raises on NUL bytes in a text lookup: refuse such a key before looking it up.
        if "\x00" in key:
            raise exceptions.AuthenticationFailed("Invalid token.")
        # The user's place on the ladder comes with the token: nearly every request asks for it.
        # (Their groups stay a separate query: folding them in as EXISTS made this one slower
        # than the two together; measured with bench/profile.py.)
        token = (
            self.get_model().objects.select_related("user", "user__member").filter(key=key).first()
        )
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid token.")
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted.")
        return (token.user, token)
