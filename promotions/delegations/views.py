"""The API of delegations: GET, POST delegations/, DELETE delegations/{id}/."""

from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.response import Response

from core.errors import InvalidInput
from core.ids import ID_PATTERN
from promotions.delegations import selectors, services
from promotions.delegations.serializers import DelegationInputSerializer, DelegationSerializer
from promotions.errors import ErrorCode


def _user_named(username: str):
    """A user by username; 400 `no_such_member` for none (committee members and HR, who alone get
    here, see every member anyway)."""
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise InvalidInput(f"No such member: {username[:150]}.", code=ErrorCode.NO_SUCH_MEMBER)
    return user


@extend_schema(tags=["delegations"])
class DelegationViewSet(viewsets.GenericViewSet):
    serializer_class = DelegationSerializer
    http_method_names = ["get", "post", "delete", "head", "options"]
    lookup_value_regex = ID_PATTERN
    # 403 for anyone holding no seat and not HR, on every action.
    extra_error_statuses_by_action = {"list": [403], "create": [403], "destroy": [403]}

    def get_queryset(self):
        return selectors.delegations_visible_to(user=self.request.user)

    def list(self, request):
        """List delegations, latest start first.

        HR sees every delegation; a committee member or an Executive those they gave or hold;
        anyone else gets 403 `permission_denied`. Each names the `delegator` (whose seat), the
        `delegate` (who holds it) and the days, both included. Paginated."""
        selectors.ensure_reads_delegations(request.user)
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(DelegationSerializer(page, many=True).data)

    @extend_schema(request=DelegationInputSerializer, responses={201: DelegationSerializer})
    def create(self, request):
        """Hand a seat to a delegate for a while.

        A committee member or an Executive names a delegate for their own seat (`delegator`
        absent or their own username); HR for anyone's (403 `permission_denied` otherwise), but
        not while their own promotion is open (403 `conflict_of_interest`). The
        delegate holds the same role (400 `delegate_lacks_role`); the delegator holds a seat (400
        `delegator_lacks_role`); never oneself (400 `self_delegation`); `starts_on` today or
        later (400 `delegation_starts_in_past`), `ends_on` on or after it (400
        `delegation_dates_out_of_order`) and at most 366 days ahead (400 `date_too_far`); no
        two delegations of one seat overlap (400 `delegation_overlaps`), and delegations do not
        chain: not to someone who has handed their own seat over then, nor from someone holding
        another's seat then (400 `delegation_chain`). An unknown username is 400
        `no_such_member`. While it is in force the delegate receives the seat's messages and may
        vote for it (POST promotions/{id}/reviews/ with `on_behalf_of`). Audited."""
        selectors.ensure_reads_delegations(request.user)
        serializer = DelegationInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        delegator = request.user
        if data["delegator"] is not None and data["delegator"] != request.user.get_username():
            services.ensure_may_name_for_others(request.user)  # 403 before 400
            delegator = _user_named(data["delegator"])
        services.ensure_may_name_delegate(request.user, delegator)
        delegation = services.delegation_create(
            actor=request.user,
            delegator=delegator,
            delegate=_user_named(data["delegate"]),
            starts_on=data["starts_on"],
            ends_on=data["ends_on"],
        )
        return Response(DelegationSerializer(delegation).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={204: None})
    def destroy(self, request, pk=None):
        """Revoke a delegation.

        For its delegator or HR (403 `permission_denied` for the delegate; 403
        `conflict_of_interest` for HR whose own promotion is open, unless it is their own seat);
        a delegation you may not see is 404 `no_such_delegation`. It ends at once: votes cast for
        the seat stay, each naming who cast it. Audited."""
        delegation = selectors.delegation_get_visible_to(user=request.user, delegation_id=pk)
        services.delegation_revoke(actor=request.user, delegation=delegation)
        return Response(status=status.HTTP_204_NO_CONTENT)
