import re

from rest_framework import pagination
from rest_framework.exceptions import NotFound, ValidationError

# str.isdigit() also accepts "²" or "①", which int() refuses.
ASCII_DIGITS = re.compile(r"[0-9]{1,9}")


class PageNumberPagination(pagination.PageNumberPagination):
    """`?page=` and `?page_size=` (1 to 200). A malformed value is a 400 rather than silently
    ignored, so a client never mistakes a default page for the one it asked for."""

    page_size_query_param = "page_size"
    max_page_size = 200

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not ASCII_DIGITS.fullmatch(raw) or not 1 <= int(raw) <= self.max_page_size:
            raise ValidationError(
                {"page_size": [f"A whole number from 1 to {self.max_page_size}."]},
                code="invalid_page_size",
            )
        return int(raw)

    def paginate_queryset(self, queryset, request, view=None):
        raw = request.query_params.get(self.page_query_param)
        if (
            raw is not None
            and raw != "last"
            and not (ASCII_DIGITS.fullmatch(raw) and int(raw) >= 1)
        ):
            raise ValidationError({"page": ["A whole number from 1."]}, code="invalid_page")
        try:
            return super().paginate_queryset(queryset, request, view)
        except NotFound:
            raise NotFound("That page is past the last one.", code="no_such_page") from None

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"]["maximum"] = self.max_page_size
        return parameters
