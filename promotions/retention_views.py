"""HR's legal hold on a promotion, over the API (promotions/retention.py)."""

from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.response import Response

from core.ids import ID_PATTERN
from promotions import retention, selectors
from promotions.serializers import LegalHoldInputSerializer, LegalHoldSerializer


@extend_schema(tags=["promotions"])
class LegalHoldViewSet(viewsets.GenericViewSet):
    lookup_value_regex = ID_PATTERN
    http_method_names = ["post", "delete", "options"]
    serializer_class = LegalHoldSerializer
    extra_error_statuses_by_action = {"create": [409], "destroy": [409]}

    def _promotion(self, pk):
        return selectors.promotion_get_visible_to(user=self.request.user, promotion_id=pk)

    @extend_schema(request=LegalHoldInputSerializer, responses={200: LegalHoldSerializer})
    def create(self, request, pk=None):
        """Put a promotion on legal hold (HR).

        The retention policy keeps the free text of a promotion on legal hold (packet, notes,
        comments, statements) past `RETENTION_YEARS` until the hold is cleared. `reason` is
        required (400 `reason_required`). A promotion you may not see is 404
        `no_such_promotion`; anyone but HR gets 403 `permission_denied`; 409 `legal_hold_set`
        when it is on hold already. Recorded in the configuration's audit trail."""
        promotion = self._promotion(pk)
        serializer = LegalHoldInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        promotion = retention.promotion_legal_hold_set(
            actor=request.user, promotion=promotion, reason=serializer.validated_data["reason"]
        )
        return Response(LegalHoldSerializer(promotion).data)

    @extend_schema(request=None, responses={200: LegalHoldSerializer})
    def destroy(self, request, pk=None):
        """Clear a promotion's legal hold (HR).

        From now on the retention policy applies to it again. A promotion you may not see is 404
        `no_such_promotion`; anyone but HR gets 403 `permission_denied`; 409 `no_legal_hold` when
        it is not on hold. Recorded in the configuration's audit trail, with the reason it was
        held for."""
        promotion = self._promotion(pk)
        promotion = retention.promotion_legal_hold_clear(actor=request.user, promotion=promotion)
        return Response(LegalHoldSerializer(promotion).data)
