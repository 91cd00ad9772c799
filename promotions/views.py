from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.ids import ID_PATTERN
from promotions import blind, permissions, release, selectors, services, workflow
from promotions.filters import PromotionFilter
from promotions.packets import services as packets
from promotions.serializers import (
    AppealSerializer,
    ApprovalSerializer,
    EventSerializer,
    NominationSerializer,
    PacketInputSerializer,
    PacketVersionSerializer,
    PromotionSerializer,
    ReviewInputSerializer,
    ReviewSerializer,
    TransitionNoteSerializer,
)


@extend_schema(tags=["promotions"])
class PromotionViewSet(viewsets.GenericViewSet):
    serializer_class = PromotionSerializer
    filterset_class = PromotionFilter
    # Besides those of every operation (config/schema.py): 409 where the promotion's state
    # decides, 422 for a reused Idempotency-Key, 403 for reviews read by the wrong people.
    extra_error_statuses_by_action = {
        "create": [409, 422],
        "start_review": [409],
        "approve": [409],
        "reject": [409],
        "withdraw": [409],
        "request_changes": [409],
        "resubmit": [409],
        "hold": [409],
        "resume": [409],
        "release": [409],
        "appeal": [409],
        "uphold": [409],
        "packet_submit": [409],
        "review": [409],
        "reviews": [403],
    }
    http_method_names = ["get", "post", "head", "options"]
    lookup_value_regex = ID_PATTERN

    def get_queryset(self):
        return selectors.promotion_list_visible_to(user=self.request.user)

    def _visible(self, pk):
        return selectors.promotion_get_visible_to(user=self.request.user, promotion_id=pk)

    def _represent(self, promotion, *, reread: bool = True) -> dict:
        if reread:  # after a write: fresh state, vote counts and related rows
            promotion = selectors.promotion_row_visible_to(
                user=self.request.user, promotion_id=promotion.pk
            )
        allowed = selectors.available_transitions(user=self.request.user, promotions=[promotion])
        context = {
            "available_transitions": allowed,
            "viewer": self.request.user,
            "blind_ids": blind.blind_ids_for(self.request.user, [promotion]),
        }
        return PromotionSerializer(promotion, context=context).data

    def _respond(self, promotion, status_code=status.HTTP_200_OK):
        return Response(self._represent(promotion), status=status_code)

    def list(self, request):
        """List the promotions you may see.

        HR and the committee see every promotion; anyone else sees their own, those they
        nominated and those of their direct reports. Filter by `state`, `candidate` (a member
        id), `to_level` (a level code) or `mine=nominated`. Each promotion lists in
        `available_transitions` what you may do with it now. Newest first, paginated."""
        promotions = selectors.promotion_rows(self.filter_queryset(self.get_queryset()))
        page = self.paginate_queryset(promotions)
        allowed = selectors.available_transitions(user=request.user, promotions=page)
        context = {
            "available_transitions": allowed,
            "viewer": request.user,
            # Who reads which blind: one query for the page, whatever its size.
            "blind_ids": blind.blind_ids_for(request.user, page or []),
        }
        return self.get_paginated_response(
            PromotionSerializer(page, many=True, context=context).data
        )

    def retrieve(self, request, pk=None):
        """Get one promotion.

        For HR, the committee, the candidate, the nominator and the candidate's manager. Anyone
        else gets 404 `no_such_promotion`, exactly as for a promotion that does not exist."""
        row = selectors.promotion_row_visible_to(user=request.user, promotion_id=pk)
        return Response(self._represent(row, reread=False))

    @extend_schema(
        request=NominationSerializer,
        responses={201: PromotionSerializer},
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                str,
                OpenApiParameter.HEADER,
                description="Send the same key to retry safely: one promotion, the first "
                "response again. The same key with another body is refused (422).",
            )
        ],
    )
    def create(self, request):
        """Nominate a member for a move up the ladder.

        For the candidate's direct manager, or HR; never oneself (403 `self_nomination`). Anyone
        without direct reports who is not HR gets 403 `permission_denied` before the body is
        read, and so does a manager naming someone else's report. A candidate you may not see is
        400 `no_such_member`. The move must be one of the ladder's from the candidate's level
        (400 `invalid_move`, with `allowed_moves`). The member must be eligible (409
        `not_eligible` with every reason in `reasons`: `time_in_level`, `open_promotion`,
        `promotion_pending`, `inactive`, `move_inactive`, `no_open_cycle`,
        `nominations_closed`; GET members/{id}/eligibility/ lists them beforehand). HR alone
        (403 `hr_only` for others) may waive time in level with `eligibility_override_reason`,
        or nominate outside any cycle with `off_cycle_reason` (which also lifts
        `no_open_cycle` and `nominations_closed`); the committee reads both. The promotion joins
        the open cycle of its target level's track, if any. `evidence` has an entry for every
        active criterion of the target level (400 `evidence_missing` with `missing_criteria`,
        every one of them when `evidence` is absent; `unknown_criterion`, `evidence_invalid`;
        400 `justification_required`): it becomes version 1 of the packet. The committee is
        notified. With an `Idempotency-Key`, a retry answers the first response again; the key
        with another body is 422 `idempotency_key_reused`."""
        permissions.ensure_can_nominate(request.user)
        serializer = NominationSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        nomination = {
            "candidate": selectors.candidate_for_nomination(
                user=request.user, member_id=data["candidate"]
            ),
            "to_level": data["to_level"],
            "nominated_by": request.user,
            "justification": data["justification"],
            "evidence": data["evidence"],
            "off_cycle_reason": data["off_cycle_reason"],
            "eligibility_override_reason": data["eligibility_override_reason"],
        }
        key = request.headers.get("Idempotency-Key")
        if key is None:
            promotion = services.promotion_nominate(**nomination)
            return self._respond(promotion, status.HTTP_201_CREATED)
        body, _ = services.promotion_nominate_once(
            key=key, request_data=request.data, render=self._represent, **nomination
        )
        return Response(body, status=status.HTTP_201_CREATED)

    def _transition(self, request, pk, name, body=TransitionNoteSerializer):
        """Run transition `name` with the request's `body` (a note; approve: also a date)."""
        promotion = self._visible(pk)
        permissions.ensure_can(request.user, name, promotion)  # 403/409 before 400
        serializer = body(data=request.data)
        serializer.is_valid(raise_exception=True)
        promotion = services.TRANSITION_SERVICES[name](
            promotion=promotion, actor=request.user, **serializer.validated_data
        )
        return self._respond(promotion)

    @extend_schema(methods=["GET"], request=None, responses={200: PacketVersionSerializer})
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=None)
    def packet(self, request, pk=None):
        """Get a promotion's packet: its current version.

        For whoever may see the promotion, the candidate included (it is their case; 404
        otherwise): the justification and, for each criterion of the target level, its title and
        expectation as they were when this version was written, the evidence and its links."""
        promotion = selectors.promotion_for_access_check(user=request.user, promotion_id=pk)
        context = {"blind": blind.is_blind_for(request.user, promotion)}
        current = packets.packet_current(promotion=promotion)
        return Response(PacketVersionSerializer(current, context=context).data)

    @extend_schema(
        methods=["POST"],
        request=PacketInputSerializer,
        responses={201: PacketVersionSerializer},
    )
    @packet.mapping.post
    def packet_submit(self, request, pk=None):
        """Submit a new version of the packet.

        For the nominator or HR (403 otherwise), while the promotion is `nominated` or
        `changes_requested` (409 `invalid_state`). The same rules as a nomination's evidence
        (400 `evidence_missing` with `missing_criteria`, every criterion when `evidence` is
        absent; `unknown_criterion`, `evidence_invalid`). A packet the same as the current version
        is 409 `packet_unchanged`. Versions are numbered, never edited or deleted."""
        promotion = self._visible(pk)
        permissions.ensure_can(request.user, permissions.SUBMIT_PACKET, promotion)
        serializer = PacketInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        version = packets.packet_submit(
            promotion=promotion, actor=request.user, **serializer.validated_data
        )
        return Response(PacketVersionSerializer(version).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: PacketVersionSerializer(many=True)})
    @action(
        detail=True,
        methods=["get"],
        url_path="packet/versions",
        filterset_class=None,
        pagination_class=None,
    )
    def packet_versions(self, request, pk=None):
        """List every version of a promotion's packet, oldest first.

        For whoever may see the promotion, the candidate included (404 otherwise): each version
        as it was submitted, never edited; the committee compares them on its desk."""
        promotion = selectors.promotion_for_access_check(user=request.user, promotion_id=pk)
        versions = packets.packet_versions(promotion=promotion)
        context = {"blind": blind.is_blind_for(request.user, promotion)}
        return Response(PacketVersionSerializer(versions, many=True, context=context).data)

    @extend_schema(request=None, responses={200: PacketVersionSerializer})
    @action(
        detail=True,
        methods=["get"],
        url_path=r"packet/versions/(?P<number>[0-9]{1,9})",
        filterset_class=None,
        pagination_class=None,
    )
    def packet_version(self, request, pk=None, number=None):
        """Get one version of a promotion's packet.

        For whoever may see the promotion (404 otherwise); an unknown version is 404
        `no_such_version`."""
        promotion = selectors.promotion_for_access_check(user=request.user, promotion_id=pk)
        version = packets.packet_version_get(promotion=promotion, number=number)
        context = {"blind": blind.is_blind_for(request.user, promotion)}
        return Response(PacketVersionSerializer(version, context=context).data)

    @extend_schema(request=None, responses={200: ReviewSerializer(many=True)})
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=None)
    def reviews(self, request, pk=None):
        """List the committee's reviews of a promotion.

        For committee members and HR who are not involved in the promotion. The candidate, the
        nominator and the candidate's manager may see the promotion but not its reviews (403
        `permission_denied`); anyone else gets 404 `no_such_promotion`."""
        # One handler per method: HEAD runs this one (as GET), never the vote below.
        promotion = selectors.promotion_for_access_check(user=request.user, promotion_id=pk)
        reviews = selectors.promotion_reviews(user=request.user, promotion=promotion)
        return Response(ReviewSerializer(reviews, many=True).data)

    @extend_schema(
        request=ReviewInputSerializer, responses={200: ReviewSerializer, 201: ReviewSerializer}
    )
    @reviews.mapping.post
    def review(self, request, pk=None):
        """Record or change your review (your vote) on a promotion in review.

        For committee members and HR who are not involved in the promotion (403 otherwise), while
        it is `in_review` (409 `invalid_state`). One review per reviewer and packet version: the
        first on the current version answers 201 (a vote on an older version stays on record,
        stale), a change 200. `ratings` rates every criterion of the current version (400
        `ratings_missing` with `missing_criteria`, every one of them when `ratings` is absent;
        `unknown_criterion`); a `reject` needs a `comment` (400 `comment_required`)."""
        promotion = self._visible(pk)
        permissions.ensure_can(request.user, permissions.REVIEW, promotion)
        serializer = ReviewInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        review, created = services.promotion_review(
            promotion=promotion, reviewer=request.user, **serializer.validated_data
        )
        return Response(
            ReviewSerializer(review).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    @extend_schema(responses={200: EventSerializer(many=True)})
    @action(detail=True, methods=["get"], filterset_class=None, pagination_class=None)
    def timeline(self, request, pk=None):
        """Get a promotion's timeline: every state change, oldest first.

        For whoever may see the promotion (404 `no_such_promotion` otherwise). `actor`, `note`
        and `votes` (the votes on record at a decision) are the committee's: null for the
        candidate, the nominator and the candidate's manager."""
        promotion, events = selectors.promotion_timeline_visible_to(
            user=request.user, promotion_id=pk
        )
        committee_view = permissions.sees_committee_work(request.user, promotion)
        # The candidate of a decision held for the cycle's release date: up to the decision.
        events = release.timeline_as_seen_by(request.user, promotion, events)
        context = {
            "committee_view": committee_view,
            "hidden_actor_ids": blind.hidden_actor_ids(request.user, promotion, events),
        }
        return Response(EventSerializer(events, many=True, context=context).data)


# The transitions' actions, one per row of the table (promotions/workflow.py): URL, request body,
# documentation and the service, so a new transition is an API action without code here.
TRANSITION_BODIES = {
    permissions.APPROVE: ApprovalSerializer,
    permissions.APPEAL: AppealSerializer,
}


def _transition_action(transition: workflow.Transition):
    body = TRANSITION_BODIES.get(transition.action, TransitionNoteSerializer)

    def run(self, request, pk=None):
        return self._transition(request, pk, transition.action, body=body)

    run.__name__ = transition.method
    run.__doc__ = workflow.api_description(transition)
    run = action(detail=True, methods=["post"], url_path=transition.action)(run)
    return extend_schema(request=body, responses={200: PromotionSerializer})(run)


for _transition in workflow.TRANSITIONS.values():
    setattr(PromotionViewSet, _transition.method, _transition_action(_transition))
