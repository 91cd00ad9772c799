from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef
from rest_framework import authentication, exceptions

from ladder import roles

GroupMembership = get_user_model().groups.through


class TokenAuthentication(authentication.TokenAuthentication):
    def authenticate_credentials(self, key):
        # PostgreSQL raises on NUL bytes in a text lookup: refuse such a key before looking it up.
        if "\x00" in key:
            raise exceptions.AuthenticationFailed("Invalid token.")
        # One query brings the user, their place on the ladder and their roles: nearly every
        # request asks for all three.
        in_group = {
            name: Exists(
                GroupMembership.objects.filter(user_id=OuterRef("user_id"), group__name=name)
            )
            for name in roles.ROLE_GROUPS
        }
        token = (
            self.get_model()
            .objects.select_related("user", "user__member")
            .annotate(**{f"in_{i}": check for i, check in enumerate(in_group.values())})
            .filter(key=key)
            .first()
        )
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid token.")
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted.")
        roles.remember_role_groups(
            token.user, {name for i, name in enumerate(in_group) if getattr(token, f"in_{i}")}
        )
        return (token.user, token)
