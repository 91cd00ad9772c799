import pytest


@pytest.fixture
def warm(as_user):
    """warm(user) -> an API client for `user` whose token and content types are cached: what is
    counted afterwards is the request's own work."""

    def client_for(user):
        client = as_user(user)
        client.get("/api/v1/ladder/levels/")
        return client

    return client_for
