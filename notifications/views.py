from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from notifications import selectors, services
from notifications.serializers import NotificationSerializer


class InboxFilter(filters.FilterSet):
    unread = filters.ChoiceFilter(
        choices=[("true", "true"), ("false", "false")],
        method="filter_unread",
        help_text="`true`: only unread ones; `false`: only read ones",
    )

    def filter_unread(self, queryset, name, value):
        return queryset.filter(read_at__isnull=value == "true")


@extend_schema(tags=["notifications"])
class NotificationViewSet(viewsets.GenericViewSet):
    serializer_class = NotificationSerializer
    filterset_class = InboxFilter
    http_method_names = ["get", "post", "head", "options"]
    lookup_value_regex = "[0-9]{1,18}"  # ids that fit a 64-bit integer; others are 404

    def get_queryset(self):
        return selectors.notification_inbox(user=self.request.user)

    def list(self, request):
        """List your notifications, newest first.

        Your own inbox only: review requests, decisions and reminders about promotions.
        `unread=true` keeps the unread ones, `unread=false` the read ones. Paginated. Each has a
        `link`: the page it is about for you (your promotion, your nomination, your team, the
        committee's desk), a path on this site; the e-mail carries the same page whole."""
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(NotificationSerializer(page, many=True).data)

    @extend_schema(request=None, responses={200: NotificationSerializer})
    @action(detail=True, methods=["post"], filterset_class=None)
    def read(self, request, pk=None):
        """Mark one of your notifications as read.

        Idempotent: marking it again changes nothing. Someone else's notification is 404
        `no_such_notification`, like one that does not exist."""
        notification = selectors.notification_get_for(user=request.user, notification_id=pk)
        notification = services.notification_mark_read(notification=notification)
        return Response(NotificationSerializer(notification).data)
