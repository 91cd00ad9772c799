"""The OpenAPI document as linters and generators read it: every operation summarized and
described, tags and servers declared, security as it really is, types as they really are."""

import os
import subprocess
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from openapi_spec_validator import validate

ROOT = Path(__file__).resolve().parents[2]
REDOCLY = ROOT / "node_modules" / ".bin" / "redocly"


@pytest.fixture(scope="module")
def schema_file(tmp_path_factory):
    target = tmp_path_factory.mktemp("openapi") / "openapi.yaml"
    call_command("spectacular", "--file", str(target), "--validate", "--fail-on-warn")
    return target


@pytest.fixture(scope="module")
def schema(schema_file):
    return yaml.safe_load(schema_file.read_text())


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def test_the_document_is_valid_openapi(schema):
    validate(schema)


def test_every_operation_has_a_summary_and_a_description_of_its_own(schema):
    summaries, descriptions = set(), set()
    for path, method, operation in operations(schema):
        summary, description = operation.get("summary"), operation.get("description")
        assert summary and len(summary) >= 15, (method, path)
        assert description and len(description) >= 60, (method, path)
        assert "\n\n" not in summary, (method, path)
        summaries.add(summary)
        descriptions.add(description)
    assert len(summaries) == len(descriptions) == len(list(operations(schema)))


def test_tags_and_servers_are_declared(schema):
    declared = {tag["name"]: tag for tag in schema["tags"]}
    assert all(tag.get("description") for tag in declared.values())
    used = {tag for _, _, operation in operations(schema) for tag in operation["tags"]}
    assert used == set(declared)
    assert schema["servers"] == [{"url": "/", "description": schema["servers"][0]["description"]}]
    assert all(path.startswith("/api/v1/") for path in schema["paths"])
    assert not [path for path in schema["paths"] if path.endswith("/")]
    assert schema["info"]["license"]["name"] and schema["info"]["contact"]


def test_logging_in_needs_no_credentials_and_everything_else_does(schema):
    token = schema["paths"]["/api/v1/auth/token"]
    assert token["post"]["security"] == []
    assert {"tokenAuth": []} in token["delete"]["security"]
    for path, method, operation in operations(schema):
        if (path, method) != ("/api/v1/auth/token", "post"):
            assert {"tokenAuth": []} in operation["security"], (method, path)
            assert {} not in operation["security"], (method, path)


def test_the_token_scheme_says_how_to_send_it(schema):
    """HTTP bearer: a generated client sends `Authorization: Bearer <key>` as it is; the
    description names DRF's `Token` word too, which keeps working."""
    scheme = schema["components"]["securitySchemes"]["tokenAuth"]
    assert scheme["type"] == "http"
    assert scheme["scheme"] == "bearer"
    assert "Authorization: Bearer <key>" in scheme["description"]
    assert "Authorization: Token <key>" in scheme["description"]


def test_logging_in_documents_a_wrong_password_as_401(schema):
    login = schema["paths"]["/api/v1/auth/token"]["post"]["responses"]
    assert "authorization" in login["401"]["description"]
    assert login["401"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Error"
    }
    assert "400" in login


def test_the_lists_per_criterion_are_required_as_the_contract_says(schema):
    """The server reads an absent `evidence` or `ratings` as empty so that its rule names every
    criterion; the document still says a client sends them."""
    components = schema["components"]["schemas"]
    for component, field in (
        ("NominationRequest", "evidence"),
        ("PacketInputRequest", "evidence"),
        ("ReviewInputRequest", "ratings"),
    ):
        assert field in components[component]["required"], component
        assert components[component]["properties"][field]["type"] == "array", component


def test_reading_reviews_documents_its_403_and_reads_no_409(schema):
    promotion = "/api/v1/promotions/{id}"
    assert "403" in schema["paths"][f"{promotion}/reviews"]["get"]["responses"]
    for path, method, operation in operations(schema):
        if method == "get":
            assert "409" not in operation["responses"], path
            assert "415" not in operation["responses"], path
            assert "429" not in operation["responses"], path
    for action in (
        "start-review",
        "approve",
        "reject",
        "withdraw",
        "request-changes",
        "resubmit",
        "reviews",
    ):
        assert "409" in schema["paths"][f"{promotion}/{action}"]["post"]["responses"]


def test_filters_and_ids_have_their_real_types(schema):
    listing = schema["paths"]["/api/v1/promotions"]["get"]
    parameters = {p["name"]: p["schema"] for p in listing["parameters"]}
    assert parameters["candidate"]["type"] == "integer"
    assert parameters["page"]["type"] == parameters["page_size"]["type"] == "integer"
    assert parameters["state"]["enum"] == [
        "appealed",
        "approved",
        "awaiting_executive",
        "changes_requested",
        "in_review",
        "nominated",
        "on_hold",
        "rejected",
        "upheld",
        "withdrawn",
    ]
    for path, _, operation in operations(schema):
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "path" and parameter["name"] == "id":
                assert parameter["schema"]["type"] == "integer", path


def test_error_bodies_are_typed_honestly(schema):
    error = schema["components"]["schemas"]["Error"]
    assert error["required"] == ["code", "detail"]
    assert error["properties"]["errors"]["additionalProperties"] == {
        "type": "array",
        "items": {"type": "string"},
    }
    assert "ErrorCodeEnum" in str(error["properties"]["code"])


def test_no_nullable_without_a_type(schema):
    def walk(node, where):
        if isinstance(node, dict):
            if node.get("nullable"):
                assert "type" in node, where
            for key, value in node.items():
                walk(value, f"{where}/{key}")
        elif isinstance(node, list):
            for index, value in enumerate(node):
                walk(value, f"{where}/{index}")

    walk(schema, "#")


@pytest.mark.skipif(not REDOCLY.exists(), reason="no node_modules/.bin/redocly (make install-node)")
def test_redocly_recommended_rules_find_nothing(schema_file):
    env = {
        **os.environ,
        "REDOCLY_TELEMETRY": "off",
        "REDOCLY_SUPPRESS_UPDATE_NOTICE": "true",
    }
    config = ROOT / "redocly.yaml"  # the recommended rules; without it redocly uses them too
    options = ["--config", str(config)] if config.exists() else []
    result = subprocess.run(
        [str(REDOCLY), "lint", *options, str(schema_file)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        cwd=ROOT,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "warning" not in (result.stdout + result.stderr).lower().replace(
        "deprecation warning", ""
    )
