import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_the_openapi_schema_generates_without_warnings_and_validates(tmp_path):
    target = tmp_path / "schema.yml"
    call_command("spectacular", "--fail-on-warn", "--validate", "--file", str(target))
    schema = target.read_text()
    # Paths are listed without their trailing slash (every route accepts both forms).
    for path in ["/api/v1/members", "/api/v1/members/me", "/api/v1/ladder/levels/{code}"]:
        assert f"{path}:" in schema


def test_swagger_ui_is_served_offline(client):
    response = client.get("/api/v1/docs/")
    assert response.status_code == 200
    assert b"swagger-ui" in response.content
    assert b"cdn" not in response.content.lower()


def test_every_operation_documents_its_errors_and_has_an_id(tmp_path):
    import yaml

    target = tmp_path / "schema.yml"
    call_command("spectacular", "--file", str(target))
    schema = yaml.safe_load(target.read_text())
    public = {"/api/v1/auth/token"}
    operation_ids = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            operation_ids.append(operation["operationId"])
            codes = set(operation["responses"])
            assert operation.get("tags"), (method, path)
            assert {"400", "404"} <= codes, (method, path)
            if path not in public:
                assert "401" in codes, (method, path)
            if method in {"post", "patch"}:
                assert {"403", "413", "415", "429"} <= codes, (method, path)
            if path.startswith("/api/v1/promotions") and method == "post":
                assert "409" in codes, (method, path)
            error = operation["responses"]["400"]["content"]["application/json"]["schema"]
            assert error == {"$ref": "#/components/schemas/Error"}
    assert len(operation_ids) == len(set(operation_ids))
    assert "422" in schema["paths"]["/api/v1/promotions"]["post"]["responses"]


def test_the_schema_survives_parallel_requests(db):
    """drf-spectacular's generator is not thread-safe; the view generates one at a time."""
    from django.test import Client

    from tests.concurrency import at_once

    def fetch():
        return Client().get("/api/v1/schema/").status_code

    assert at_once(*[fetch] * 6) == [200] * 6
