import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from accounts.services import token_issue
from ladder import roles
from ladder.models import Level, Member

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.django.Password(PASSWORD)


class LevelByCode(factory.django.DjangoModelFactory):
    """The seeded levels: look them up by code, never create them."""

    class Meta:
        model = Level
        django_get_or_create = ("code",)

    code = "pm"


class MemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Member

    user = factory.SubFactory(UserFactory)
    level = factory.SubFactory(LevelByCode)
    manager = None


def _with_group(user, group_name: str):
    user.groups.add(Group.objects.get(name=group_name))
    user.is_staff = True
    user.save()
    return get_user_model().objects.get(pk=user.pk)  # fresh: no cached groups


def hr_user(**kwargs):
    return _with_group(UserFactory(**kwargs), roles.HR_GROUP)


def committee_member(level: str | None = None, manager=None, **kwargs):
    """A committee user; with `level`, also a member on the ladder."""
    user = UserFactory(**kwargs)
    if level:
        MemberFactory(user=user, level=Level.objects.get(code=level), manager=manager)
    return _with_group(user, roles.COMMITTEE_GROUP)


def token_for(user) -> str:
    return token_issue(user=user)
