"""Ids in URLs and query strings: whole numbers that fit the database's 64-bit integer. Beyond that
SQLite raises OverflowError (a 500) where PostgreSQL would find nothing, so every route and filter
that takes an id takes it through here."""

import re

import django_filters
from django import forms
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

MAX_ID = 2**63 - 1
# In a URL path: 18 digits always fit; a longer "id" names no object (the API answers 404).
ID_PATTERN = "[0-9]{1,18}"


class IdField(forms.IntegerField):
    """ASCII digits only: Django's IntegerField would also take `4.0` and `٤`."""

    def to_python(self, value):
        if value not in self.empty_values and not re.fullmatch(r"[0-9]{1,19}", str(value)):
            raise forms.ValidationError("Give a whole number, e.g. 42.", code="invalid")
        return super().to_python(value)


@extend_schema_field(OpenApiTypes.INT)
class IdFilter(django_filters.NumberFilter):
    """A filter on an id: a whole number from 1 to MAX_ID, else 400 (not `4.0`, not 2**64)."""

    field_class = IdField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)
