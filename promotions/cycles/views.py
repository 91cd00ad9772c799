"""The API of promotion cycles and of members' eligibility."""

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response

from core.ids import ID_PATTERN
from ladder.selectors import member_get_visible_to
from promotions import eligibility, permissions, selectors
from promotions.cycles import services as cycles
from promotions.cycles.calibration import (
    DECISION_COLUMNS,
    csv_text,
    cycle_calibration,
    cycle_decisions,
    cycle_stats,
)
from promotions.cycles.serializers import (
    CalibrationSerializer,
    CycleInputSerializer,
    CycleSerializer,
    EligibilitySerializer,
    StatsSerializer,
)
from promotions.eligibility import months_between
from promotions.models import Cycle


class CSVRenderer(BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, str):
            return data.encode()
        # An error body: JSON, as on every route.
        response = (renderer_context or {}).get("response")
        if response is not None:
            response["Content-Type"] = JSONRenderer.media_type
        return JSONRenderer().render(data)


@extend_schema(tags=["cycles"])
class CycleViewSet(viewsets.GenericViewSet):
    serializer_class = CycleSerializer
    http_method_names = ["get", "post", "patch", "head", "options"]
    lookup_value_regex = ID_PATTERN
    # 409 where the cycle's state decides; 403 on the reads kept for the committee and HR.
    extra_error_statuses_by_action = {
        "partial_update": [409],
        "open": [409],
        "calibrate": [409],
        "close": [409],
        "calibration": [403],
        "stats": [403],
        "decisions": [403],
    }

    def get_queryset(self):
        return selectors.cycle_list_visible_to(user=self.request.user)

    def _cycle(self, pk) -> Cycle:
        return selectors.cycle_get_visible_to(user=self.request.user, cycle_id=pk)

    def list(self, request):
        """List the promotion cycles, newest first.

        For any signed-in user: each cycle's name, tracks (empty: both), dates and state
        (`draft`, `open`, `calibrating`, `closed`). Drafts are HR's plans: only HR and the
        committee see them. Paginated."""
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(CycleSerializer(page, many=True).data)

    def retrieve(self, request, pk=None):
        """Get one promotion cycle.

        For any signed-in user, once it is open (a draft: HR and the committee only); an unknown
        cycle, or a draft you may not see, is 404 `no_such_cycle`."""
        return Response(CycleSerializer(self._cycle(pk)).data)

    @extend_schema(request=CycleInputSerializer, responses={201: CycleSerializer})
    def create(self, request):
        """Create a promotion cycle, as a draft (HR).

        `name`, `tracks` (`ic`, `management`; empty or absent: both) and four dates in order,
        equal allowed: `nominations_open_on` ≤ `nominations_close_on` ≤ `decisions_due_on` ≤
        `effective_on` (400 `cycle_dates_out_of_order`), each at most 366 days ahead (400
        `date_too_far`); an optional `release_on` between `decisions_due_on` and `effective_on`
        (400 `cycle_dates_out_of_order`): until then its decisions are held from the candidates.
        403 for anyone but HR."""
        cycles.ensure_hr(request.user)
        serializer = CycleInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        cycle = cycles.cycle_create(actor=request.user, **serializer.validated_data)
        return Response(CycleSerializer(cycle).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=CycleInputSerializer(partial=True), responses={200: CycleSerializer})
    def partial_update(self, request, pk=None):
        """Change a draft cycle's name, tracks or dates (HR).

        Only while it is a draft (409 `cycle_not_draft`, before the body is read); the dates stay
        in order (400 `cycle_dates_out_of_order`, `release_on` between `decisions_due_on` and
        `effective_on`), each at most 366 days ahead (400 `date_too_far`). 403 for anyone but
        HR."""
        cycle = self._cycle(pk)
        cycles.ensure_hr(request.user)
        cycles.ensure_draft(cycle)  # 404, 403, 409, then 400: the body is read last
        serializer = CycleInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        cycle = cycles.cycle_update(
            actor=request.user, cycle=cycle, changes=serializer.validated_data
        )
        return Response(CycleSerializer(cycle).data)

    def _transition(self, request, pk, service):
        cycle = self._cycle(pk)
        cycles.ensure_hr(request.user)
        return Response(CycleSerializer(service(actor=request.user, cycle=cycle)).data)

    @extend_schema(request=None, responses={200: CycleSerializer})
    @action(detail=True, methods=["post"])
    def open(self, request, pk=None):
        """Open a draft cycle for nominations (HR).

        From `draft` (409 `invalid_state`). Nominations to a level of its tracks attach to it
        from now on. Two open or calibrating cycles may not share a track (400
        `cycle_tracks_overlap`)."""
        return self._transition(request, pk, cycles.cycle_open)

    @extend_schema(request=None, responses={200: CycleSerializer})
    @action(detail=True, methods=["post"])
    def calibrate(self, request, pk=None):
        """Close nominations and start calibration (HR).

        From `open` (409 `invalid_state`); the scheduler does it too, the day after
        `nominations_close_on`. Its promotions may now be approved or rejected; new nominations
        to its tracks are refused (409 `not_eligible`, reason `nominations_closed`) unless HR
        nominates off-cycle. The committee is told how many candidates await a decision."""
        return self._transition(request, pk, cycles.cycle_calibrate)

    @extend_schema(request=None, responses={200: CycleSerializer})
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        """Close a calibrating cycle (HR).

        From `calibrating` (409 `invalid_state`), once none of its promotions is open (409
        `cycle_has_open_promotions`)."""
        return self._transition(request, pk, cycles.cycle_close)

    @extend_schema(request=None, responses={200: CalibrationSerializer})
    @action(detail=True, methods=["get"], pagination_class=None)
    def calibration(self, request, pk=None):
        """The calibration board: the cycle's candidates side by side (committee, HR).

        Grouped by target level and track: each candidate's current level and months in it,
        nominator, state, packet version, votes on the current version (`approve`, `reject`)
        and older ones (`stale`), and for each criterion how many rated it `not_yet`, `meets`,
        `exceeds`. Where you are recused (the candidate, the nominator, their manager),
        `votes` and `ratings` are null. 403 for anyone else."""
        cycle = self._cycle(pk)
        permissions.ensure_sees_cycle_work(request.user)
        return Response(cycle_calibration(cycle=cycle, viewer=request.user))

    @extend_schema(request=None, responses={200: StatsSerializer})
    @action(detail=True, methods=["get"], pagination_class=None)
    def stats(self, request, pk=None):
        """The cycle's outcomes by level, track and organisation (committee, HR).

        For each group: candidates, nominations, approved, rejected, withdrawn, open, the
        approval rate (of decisions) and the median days from nomination to decision. A group
        of fewer than `min_group` candidates is suppressed (every cell null,
        `suppressed: true`), and so are as many others as needed that none can be recovered by
        subtraction from the totals and the other groups. 403 for anyone else."""
        cycle = self._cycle(pk)
        permissions.ensure_sees_cycle_work(request.user)
        return Response(cycle_stats(cycle=cycle, viewer=request.user))

    @extend_schema(
        operation_id="cycles_decisions_csv_retrieve",
        request=None,
        responses={
            (200, "text/csv"): OpenApiResponse(
                OpenApiTypes.STR,
                description="One row per promotion: " + ", ".join(DECISION_COLUMNS) + ".",
            )
        },
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="decisions.csv",
        renderer_classes=[CSVRenderer],
        pagination_class=None,
    )
    def decisions(self, request, pk=None):
        """Export the cycle's decisions as CSV (HR).

        Columns: member (username), email, from, to (level codes), state, decided_at,
        effective_on (timestamps to the second). The file starts with a UTF-8 byte-order mark
        (for Excel); a cell that a spreadsheet would run as a formula starts with a quote.
        403 for anyone but HR."""
        cycle = self._cycle(pk)
        cycles.ensure_hr(request.user)
        body = csv_text(cycle_decisions(cycle=cycle), DECISION_COLUMNS)
        response = Response(body)
        response["Content-Disposition"] = f'attachment; filename="cycle-{cycle.pk}-decisions.csv"'
        return response


@extend_schema(tags=["members"])
class EligibilityViewSet(viewsets.GenericViewSet):
    lookup_value_regex = ID_PATTERN
    http_method_names = ["get", "head", "options"]
    serializer_class = EligibilitySerializer

    @extend_schema(responses={200: EligibilitySerializer})
    def retrieve(self, request, pk=None):
        """Whether a member may be nominated now, for each move up from their level.

        For the member, their manager and HR: those who nominate (404 `no_such_member` for
        anyone else, the committee included: an open promotion per member would name the
        candidate of a blind case). For each next level (deactivated moves too): `eligible`,
        and every reason against:
        `time_in_level` (fewer months at the level than its `min_months_in_level`),
        `open_promotion`, `promotion_pending` (approved, not yet effective), `inactive`,
        `move_inactive`, `no_open_cycle` (cycles required and none open for the track),
        `nominations_closed` (the track's cycle is calibrating)."""
        member = member_get_visible_to(user=request.user, member_id=pk)
        if not eligibility.readable_by(user=request.user, member=member):
            raise NotFound("No such member.", code="no_such_member")
        levels = eligibility.member_eligibility(member=member)
        return Response(
            {
                "member": member.pk,
                "level": member.level.code,
                "months_in_level": months_between(member.level_since, timezone.localdate()),
                "next_levels": [
                    {"code": b.level.code, "eligible": b.eligible, "reasons": b.reasons}
                    for b in levels
                ],
            }
        )
