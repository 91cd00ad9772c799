"""The API's OpenAPI document as drf-spectacular generates it (what /api/v1/schema/ serves),
generated once per test process: the tests that read it shared about a second of generation in
each worker. A copy each time, so that no test can change what another reads."""

import copy
import functools

from drf_spectacular.generators import SchemaGenerator


@functools.cache
def _generated() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def api_schema() -> dict:
    return copy.deepcopy(_generated())
