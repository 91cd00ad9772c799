from django.contrib.auth.validators import UnicodeUsernameValidator
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.serializers import PASSWORD, LookupField, StrictSerializer
from core.validators import NOT_IN_FUTURE
from ladder.models import Criterion, Level, LevelTransition, Member


class LevelRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Level
        fields = ["code", "title"]


class LevelSerializer(serializers.ModelSerializer):
    class Meta:
        model = Level
        fields = ["code", "rank", "title", "track", "position", "mission", "goal"]


@extend_schema_field(LevelRefSerializer(many=True))
class NextLevelsField(serializers.Field):
    """The levels one active move away, as the view read them (context `next_levels`)."""

    def __init__(self, **kwargs):
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, value):
        return LevelRefSerializer(self.context["next_levels"], many=True).data


class CriterionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Criterion
        fields = ["code", "title", "description"]
        read_only_fields = fields


@extend_schema_field(CriterionSerializer(many=True))
class CriteriaField(serializers.Field):
    """The level's active criteria, in order, as the view read them (context `criteria`)."""

    def __init__(self, **kwargs):
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, value):
        return CriterionSerializer(self.context["criteria"], many=True).data


class LevelDetailSerializer(LevelSerializer):
    next_levels = NextLevelsField()
    criteria = CriteriaField(help_text="What a promotion to this level is judged against.")

    class Meta(LevelSerializer.Meta):
        fields = [*LevelSerializer.Meta.fields, "executive_approval", "next_levels", "criteria"]
        extra_kwargs = {
            "executive_approval": {
                "help_text": "Whether a move to this level needs an Executive's approval after "
                "the committee's."
            }
        }


class LevelTransitionSerializer(serializers.ModelSerializer):
    from_level: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    to_level: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )

    class Meta:
        model = LevelTransition
        fields = ["from_level", "to_level", "is_active"]


class PendingPromotionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    to_level = serializers.CharField()
    effective_on = serializers.DateField()


class MemberSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)
    email = serializers.EmailField(source="user.email", read_only=True)
    first_name = serializers.CharField(source="user.first_name", read_only=True)
    last_name = serializers.CharField(source="user.last_name", read_only=True)
    name = serializers.CharField(read_only=True)
    level: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    level_title = serializers.CharField(source="level.title", read_only=True)
    manager = serializers.CharField(
        source="manager.user.username", read_only=True, allow_null=True, default=None
    )
    pending_promotion = serializers.SerializerMethodField()
    # HR's: the selector annotates them for HR only (null for everyone else).
    invited_at = serializers.DateTimeField(
        read_only=True,
        allow_null=True,
        default=None,
        help_text="HR only (null for others): when the newest invitation was sent; null if never.",
    )
    invitation_accepted_at = serializers.DateTimeField(
        read_only=True,
        allow_null=True,
        default=None,
        help_text="HR only (null for others): when the person last chose a password from an "
        "invitation; null if never.",
    )

    class Meta:
        model = Member
        fields = [
            "id",
            "username",
            "email",
            "first_name",
            "last_name",
            "name",
            "level",
            "level_title",
            "level_since",
            "manager",
            "is_active",
            "pending_promotion",
            "invited_at",
            "invitation_accepted_at",
        ]
        read_only_fields = fields

    @extend_schema_field(PendingPromotionSerializer(allow_null=True))
    def get_pending_promotion(self, member) -> dict | None:
        """An approved promotion not yet effective: the level changes on `effective_on`."""
        return getattr(member, "pending_promotion", None)


class MemberMeSerializer(MemberSerializer):
    next_levels = NextLevelsField()

    class Meta(MemberSerializer.Meta):
        fields = [*MemberSerializer.Meta.fields, "next_levels"]
        read_only_fields = fields


@extend_schema_field({"type": "string", "nullable": True, "description": "manager's username"})
class ManagerField(LookupField):
    default_error_messages = {
        "does_not_exist": "No such member: {value}.",
        "invalid": "Give the manager's username, or null.",
    }

    def __init__(self, **kwargs):
        super().__init__(
            slug_field="user__username",
            queryset=Member.objects.select_related("user", "manager"),
            allow_null=True,
            required=False,
            **kwargs,
        )


class LevelCodeField(LookupField):
    default_error_messages = {
        "does_not_exist": "No such level: {value}.",
        "invalid": "Give a level code, e.g. senior-pm.",
    }

    def __init__(self, **kwargs):
        super().__init__(slug_field="code", queryset=Level.objects.all(), **kwargs)


def NameField(**kwargs):  # noqa: N802 (a field factory, named like the fields it makes)
    # One line without control characters: StrictSerializer gives every text field that rule.
    return serializers.CharField(max_length=150, allow_blank=True, **kwargs)


class MemberCreateSerializer(StrictSerializer):
    username = serializers.CharField(max_length=150, validators=[UnicodeUsernameValidator()])
    email = serializers.EmailField(max_length=254)
    first_name = NameField(required=False, default="")
    last_name = NameField(required=False, default="")
    level = LevelCodeField()
    manager = ManagerField()
    password = serializers.CharField(
        max_length=128,
        required=False,
        write_only=True,
        trim_whitespace=False,
        style=PASSWORD,
        help_text="Better left out: send `invite` instead, and the person chooses their own.",
    )
    level_since = serializers.DateField(
        required=False,
        validators=[NOT_IN_FUTURE],
        help_text="Since when the member is at this level (default today; not in the future).",
    )
    invite = serializers.BooleanField(
        required=False,
        default=False,
        write_only=True,
        help_text="E-mail the person an invitation to choose their password (a link that works "
        "once, for INVITE_TTL_HOURS).",
    )


class InvitationSerializer(serializers.Serializer):
    """An invitation as HR reads it back: when it was sent and until when its link works."""

    invited_at = serializers.DateTimeField(source="created_at", read_only=True)
    expires_at = serializers.DateTimeField(read_only=True)
    email = serializers.EmailField(read_only=True, help_text="The address it goes to.")


class MemberUpdateSerializer(StrictSerializer):
    email = serializers.EmailField(max_length=254, required=False)
    first_name = NameField(required=False)
    last_name = NameField(required=False)
    manager = ManagerField()
    is_active = serializers.BooleanField(required=False)
    # Accepted only so the service can refuse it with `level_read_only`.
    level = serializers.JSONField(required=False)
