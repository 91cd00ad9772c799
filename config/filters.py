from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.exceptions import ValidationError


class StrictFilterBackend(DjangoFilterBackend):
    """django-filter ignores a filter given an empty value (`?state=`); we refuse it, so a client
    never gets everything when it meant to ask for something."""

    def get_filterset(self, request, queryset, view):
        filterset = super().get_filterset(request, queryset, view)
        if filterset is not None:
            blank = [
                name
                for name in filterset.filters
                if name in request.query_params and request.query_params[name].strip() == ""
            ]
            if blank:
                raise ValidationError(
                    {name: ["This filter may not be blank."] for name in blank}, code="blank"
                )
        return filterset
