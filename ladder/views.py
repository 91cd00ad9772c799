from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.ids import ID_PATTERN
from ladder import erasure, export, invitations, selectors, services
from ladder.serializers import (
    InvitationSerializer,
    LevelDetailSerializer,
    LevelSerializer,
    LevelTransitionSerializer,
    MemberCreateSerializer,
    MemberMeSerializer,
    MemberSerializer,
    MemberUpdateSerializer,
)


@extend_schema(tags=["ladder"])
class LevelViewSet(viewsets.ReadOnlyModelViewSet):
    lookup_field = "code"
    lookup_value_regex = "[-a-zA-Z0-9_]+"
    serializer_class = LevelSerializer

    def get_queryset(self):
        return selectors.level_list()

    def get_serializer_class(self):
        return LevelDetailSerializer if self.action == "retrieve" else LevelSerializer

    def list(self, request, *args, **kwargs):
        """List the ladder's levels.

        For any signed-in user. Every level, lowest rank first, with its track (`ic`, the
        individual contributors', or `management`), position, mission and goal. HR edits the
        ladder in the admin."""
        return super().list(request, *args, **kwargs)

    def retrieve(self, request, code=None):
        """Get one level, with the levels one can move to from it.

        For any signed-in user. `code` is the level's code (e.g. `senior-pm`); `next_levels` are
        the targets of the active moves from this level, lowest rank first; `criteria` what a
        promotion to this level is judged against (active ones, in order, each quoting the
        ladder definition). An unknown code is 404 `no_such_level`."""
        level = selectors.level_get(code=code)
        context = {
            "next_levels": selectors.level_next_levels(level=level),
            "criteria": selectors.level_criteria(level=level),
        }
        return Response(LevelDetailSerializer(level, context=context).data)


@extend_schema(tags=["ladder"])
class LevelTransitionViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = LevelTransitionSerializer

    def get_queryset(self):
        return selectors.level_transition_list()

    def list(self, request, *args, **kwargs):
        """List the moves between levels.

        For any signed-in user. Every move of the ladder (from level, to level), active or not:
        a nomination may only ask for an active move, and a promotion whose move has been
        deactivated meanwhile cannot be approved (409 `move_inactive`)."""
        return super().list(request, *args, **kwargs)


@extend_schema(tags=["members"])
class MemberViewSet(viewsets.GenericViewSet):
    serializer_class = MemberSerializer
    http_method_names = ["get", "post", "patch", "head", "options"]
    lookup_value_regex = ID_PATTERN
    extra_error_statuses_by_action = {"invite": [409], "erase": [409]}

    def get_queryset(self):
        return selectors.member_list_visible_to(user=self.request.user)

    def list(self, request):
        """List the members you may see.

        HR and the committee see everyone; a manager sees themselves and their direct reports;
        any other member sees only themselves; a user with no member record sees no one. In
        order of id, paginated."""
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(MemberSerializer(page, many=True).data)

    def retrieve(self, request, pk=None):
        """Get one member.

        For whoever may see them (see the list). A member you may not see is 404
        `no_such_member`, exactly like one that does not exist."""
        member = selectors.member_get_visible_to(user=request.user, member_id=pk)
        return Response(MemberSerializer(member).data)

    @extend_schema(request=MemberCreateSerializer, responses={201: MemberSerializer})
    def create(self, request):
        """Put a new person on the ladder (HR).

        Creates the user and their member record at the given level, reporting to `manager` (a
        username, or null). With `"invite": true` the person is e-mailed an invitation to choose
        their own password (see `members/{id}/invite/`), in the same transaction: the way to let
        someone in, since HR never chooses anyone's password. Without an invitation or a
        `password` the user cannot log in. Only HR may call this (403 `permission_denied` for
        anyone else; with `invite`, also the invitation's 403 codes). 400 codes:
        `username_taken` (usernames are unique regardless of case), `password_invalid`,
        `manager_inactive`, `future_date` for a `level_since` after today, `unknown_field`, and
        the field codes (`required`, `invalid`, `does_not_exist`, ...). The change and the
        invitation are recorded in the audit trail of people's records."""
        services.ensure_can_manage_members(request.user)
        serializer = MemberCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        member = invitations.member_create_invited(actor=request.user, **serializer.validated_data)
        member = selectors.member_get_visible_to(user=request.user, member_id=member.pk)
        return Response(MemberSerializer(member).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={202: InvitationSerializer})
    @action(detail=True, methods=["post"])
    def invite(self, request, pk=None):
        """E-mail a member an invitation to choose their password (HR).

        The person gets a link to `/invite/<token>/` that works once, for `INVITE_TTL_HOURS`
        (168 by default), and chooses their own password there; a newer invitation voids the
        older one, so this also sends again. 202: the invitation is written and its e-mail goes
        out after commit. The member must be visible to you (404 `no_such_member`) and you must
        be HR (403 `permission_denied`); 403 too for yourself (`own_record`), a superuser or an
        account only superusers manage (`superuser_protected`), and during a conflict of
        interest (`conflict_of_interest`); 409 `member_inactive` for an inactive member,
        `no_email_address` for one without an address, `already_erased` for an erased member.
        Recorded in the audit trail."""
        member = selectors.member_get_visible_to(user=request.user, member_id=pk)
        invitation = invitations.invitation_send(actor=request.user, user=member.user)
        return Response(InvitationSerializer(invitation).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=MemberUpdateSerializer, responses={200: MemberSerializer})
    def partial_update(self, request, pk=None):
        """Change a member's manager, contact details or active flag (HR).

        The member must be visible to you (404 `no_such_member`), and you must be HR (403
        `permission_denied`). 403 too: your own record (`own_record`), a superuser's records
        (`superuser_protected`), and the manager or active flag during a conflict of interest,
        e.g. while your own promotion is open (`conflict_of_interest`). The level is not
        changed here but by an approved promotion (400 `level_read_only`); a reporting line may
        not loop (400 `manager_cycle`) nor end at an inactive manager (400 `manager_inactive`).
        Deactivating a member ends their login and revokes their API tokens. An erased
        member's record is closed: 409 `already_erased`. Every change is recorded in the audit
        trail."""
        member = selectors.member_get_visible_to(user=request.user, member_id=pk)
        services.ensure_can_manage_members(request.user)
        serializer = MemberUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        member = services.member_update(
            actor=request.user, member=member, changes=serializer.validated_data
        )
        member = selectors.member_get_visible_to(user=request.user, member_id=member.pk)
        return Response(MemberSerializer(member).data)

    @extend_schema(responses={200: MemberMeSerializer})
    @action(detail=False, methods=["get"])
    def me(self, request):
        """Get your own member record: your level and where you can go next.

        For any signed-in user with a place on the ladder: your level, since when, your manager,
        and `next_levels`, the levels one active move away. A user with no member record (e.g.
        HR staff) gets 404 `no_member_record`."""
        me = selectors.member_me(user=request.user)
        next_levels = selectors.level_next_levels(level=me.level)
        return Response(MemberMeSerializer(me, context={"next_levels": next_levels}).data)

    @extend_schema(
        request=None,
        responses={200: OpenApiTypes.OBJECT},
        filters=False,
    )
    @action(detail=False, methods=["get"], url_path="me/export", pagination_class=None)
    def export(self, request):
        """Download everything about you that you may read, as one JSON file.

        Your member record, your career history, your notifications, your own promotions as
        their candidate reads them (state, timeline and packet, never reviewers or committee
        notes; a decision held for its cycle's release date reads as it does elsewhere), the
        nominations you made as their nominator reads them, your nomination requests, appeals
        and delegations, and each app's own section (e.g. your demographics). Sent as a file
        (`Content-Disposition: attachment`). A user with no member record gets 404
        `no_member_record`."""
        data = export.member_export(user=request.user)
        filename = export.export_filename(user=request.user)
        return Response(data, headers={"Content-Disposition": f'attachment; filename="{filename}"'})

    @extend_schema(request=None, responses={200: MemberSerializer})
    @action(detail=True, methods=["post"])
    def erase(self, request, pk=None):
        """Erase a member's personal data (HR).

        For a member who has left: names, e-mail address and username are replaced by a
        pseudonym (`erased-<id>`), API tokens, invitations, the identity provider's identifiers
        and the password go, the text of every notification to them is emptied, and each app's
        own personal data is erased. Decisions, career history and the audit trail stay (audit
        rows that held the erased values are rewritten; the audit chain still verifies). The
        member must be visible to you (404 `no_such_member`) and you must be HR (403
        `permission_denied`; `own_record`, `superuser_protected`, `conflict_of_interest` as for
        other changes to people's records). 409 `member_active` for an active member (deactivate
        first), `open_promotion` while a promotion of theirs is open or not yet effective,
        `already_erased` when done before, `username_taken` when another account bears the
        pseudonym (named so by hand). Recorded in the audit trail of people's records."""
        member = selectors.member_get_visible_to(user=request.user, member_id=pk)
        erasure.member_erase(actor=request.user, member=member)
        member = selectors.member_get_visible_to(user=request.user, member_id=member.pk)
        return Response(MemberSerializer(member).data)
