"""Reads made on nearly every request, built with the ORM once per process and then run as their
SQL with new values.

For a query of one row or a few, building the ORM's query and compiling it took three to four
times as long as PostgreSQL took to answer it (a promotion's timeline: 1.4 ms, of which the
database's answer 0.3 ms; docs/performance.md). A `Prepared` query is still written with the ORM,
so its joins and columns follow the models; only the building is done once."""

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import connections
from django.db.models import QuerySet
from django.db.models.query import ValuesListIterable

# A stand-in for each value while the query is compiled, found again among the compiled
# parameters (_compile checks that each occurs there once): an integer every integer field takes
# (the ORM compiles a value out of its field's range to "no rows", without a parameter).
_MARKERS = tuple(32_001 + i for i in range(8))
# What a bigint column holds: a value outside it matches no row (as the ORM answers it).
_BIGINT = range(-(2**63), 2**63)


class Prepared:
    """`build(*markers)`: a values_list() (any annotations named last), filtered by the markers
    given in the place of integer values (ids). `rows(*values)`: its rows for these values,
    converted as the ORM converts them (JSON parsed, say)."""

    def __init__(self, build: Callable[..., QuerySet]):
        self._build = build
        self._arity = build.__code__.co_argcount
        self._compiled: dict[str, tuple[str, tuple, list[int], dict]] = {}

    def _compile(self, using: str) -> tuple[str, tuple, list[int], dict]:
        markers = _MARKERS[: self._arity]
        queryset = self._build(*markers)
        query = queryset.query
        selected = [*query.extra_select, *query.values_select, *query.annotation_select]
        rows_as_asked = queryset._iterable_class is ValuesListIterable  # not flat, named, dicts
        if not rows_as_asked or list(getattr(queryset, "_fields", ())) != selected:
            # values_list() puts annotations after the fields in the SQL and reorders each row
            # back; this runs the SQL as it is, so the columns must be asked in the SQL's order.
            raise ImproperlyConfigured("A prepared query is a values_list(), annotations last.")
        compiler = query.get_compiler(using=using)
        sql, params = compiler.as_sql()
        positions = []
        for marker in markers:
            found = [i for i, param in enumerate(params) if param == marker]
            if len(found) != 1:
                raise ImproperlyConfigured(
                    f"Each value must be a parameter of the query once: {found}."
                )
            positions.append(found[0])
        converters = compiler.get_converters([column for column, _, _ in compiler.select])
        self._compiled[using] = (sql, tuple(params), positions, converters)
        return self._compiled[using]

    def rows(self, *values: Any, using: str = "default") -> list[tuple]:
        """The rows for `values` (each an integer, or what int() takes: ValueError or TypeError
        otherwise, as the ORM raises). A query it cannot run faithfully is ImproperlyConfigured,
        never a ValueError: its callers answer a bad id's ValueError with 404."""
        try:
            ints = [int(value) for value in values]
        except OverflowError:  # an infinite float: no id
            return []
        if any(value not in _BIGINT for value in ints):
            return []
        sql, template, positions, converters = self._compiled.get(using) or self._compile(using)
        params = list(template)
        for position, value in zip(positions, ints, strict=True):
            params[position] = value
        connection = connections[using]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        if not converters:
            return rows
        converted = []
        for row in rows:
            values_ = list(row)
            for position, (functions, expression) in converters.items():
                for function in functions:
                    values_[position] = function(values_[position], expression, connection)
            converted.append(tuple(values_))
        return converted
