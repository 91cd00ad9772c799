"""The audit chain's API (docs/audit.md): its head, for HR to publish."""

from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.response import Response

from audit.chain import head_of_chain
from audit.errors import HROnly
from audit.serializers import AuditHeadSerializer
from core import roles


@extend_schema(tags=["audit"])
class AuditHeadViewSet(viewsets.GenericViewSet):
    http_method_names = ["get", "head", "options"]
    serializer_class = AuditHeadSerializer
    pagination_class = None
    filter_backends: list = []
    extra_error_statuses = [403]

    def retrieve(self, request):
        """The head of the audit chain (HR).

        `seq` (the number of links), `hash` (the last link's) and `at` (when it was appended).
        Publish it now and then (a ticket, an e-mail to the auditors): anyone holding an
        earlier head can tell, with `manage.py audit_verify --head SEQ:HASH`, that no audit row
        up to it was changed, deleted or reordered since, even by someone who rewrote the whole
        chain. An empty chain answers seq 0 and 64 zeros. 403
        `hr_only` for anyone but HR."""
        if not roles.is_hr(request.user):
            raise HROnly()
        return Response(AuditHeadSerializer(head_of_chain()).data)
