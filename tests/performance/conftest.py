import pytest
from django.db import connection

from ladder.selectors import ladder_snapshot


@pytest.fixture
def warm(as_user):
    """warm(user) -> an API client for `user` whose token, content types, levels and moves are
    cached: what is counted afterwards is the request's own work."""

    def client_for(user):
        client = as_user(user)
        client.get("/api/v1/ladder/levels/")
        # Levels and moves, as a process keeps them between changes to the ladder.
        ladder_snapshot()
        # SQLite probes its JSON support once per connection, on the first query that needs it.
        connection.features.supports_json_field  # noqa: B018
        return client

    return client_for
