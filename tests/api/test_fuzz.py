"""Schemathesis against our own OpenAPI schema, for each role. `make test` runs a few generated
examples per operation and role, and schemathesis's coverage phase (its deterministic boundary
cases: about 45 requests an operation) for the roles whose requests reach the input rules; `make
fuzz` and `make test-deep` run every phase for every role, `make fuzz` with many examples
(FUZZ_EXAMPLES)."""

import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    ignored_auth,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from ladder.models import Level
from promotions.requests import services as nomination_requests
from tests import factories
from tests.depth import DEEP
from tests.shared import shared_rows

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "3"))


def negative_data_rejected(ctx, response, case):
    """schemathesis's check, where 413 also counts as a rejection: a generated invalid body (a
    packet of long links) can be larger than API_MAX_BODY_BYTES, refused before it is read."""
    if response.status_code == 413:
        return None
    return negative_data_rejection(ctx, response, case)


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    response_schema_conformance,
    negative_data_rejected,
    ignored_auth,
]
ROLES = ["anonymous", "member", "manager", "committee", "hr"]
# The boundary cases, in `make test`, for HR (whose requests reach nearly every operation's input
# rules) and the member (their own requests, nomination requests and appeals); the other roles'
# requests stop at authentication or visibility first (401, 404, 403) or reach the same input
# rules as HR's. In `make fuzz` and `make test-deep`, for every role.
EVERY_PHASE_FOR_EVERY_ROLE = DEEP or "FUZZ_EXAMPLES" in os.environ
BOUNDARY_ROLES = ROLES if EVERY_PHASE_FOR_EVERY_ROLE else ["member", "hr"]
GENERATED_ONLY_ROLES = [role for role in ROLES if role not in BOUNDARY_ROLES]

schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", get_wsgi_application())
generated_only = schemathesis.openapi.from_wsgi(
    "/api/v1/schema/",
    get_wsgi_application(),
    config=SchemathesisConfig.from_dict({"phases": {"coverage": {"enabled": False}}}),
)


@pytest.fixture
def keep_test_connection():
    """The WSGI handler closes the database connection after each request, which would end the
    test's transaction; Django's own test client switches that off the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(scope="module")
def shared_tokens(django_db_setup, django_db_blocker):
    """A small company with a promotion in review, and one token per role: built once for the
    module (tests/shared.py); each test's writes, a revoked token too, are rolled back."""
    with shared_rows(django_db_blocker):
        manager = factories.MemberFactory(level=Level.objects.get(code="group-pm"))
        member = factories.MemberFactory(level=Level.objects.get(code="pm"), manager=manager)
        committee = factories.committee_member(level="vp-product")
        hr = factories.hr_user()
        # A request to the manager, pending: its accept (409 once nominated) and decline reached.
        nomination_requests.nomination_request_create(
            user=member.user,
            to_level=Level.objects.get(code="senior-pm"),
            justification="Ready, I think.",
            evidence=factories.evidence_for("senior-pm"),
        )
        # Rejected before, so that an appeal has one to reach (409: the member's open one).
        factories.promotion(candidate=member, to="senior-pm", state="rejected", actor=committee)
        factories.promotion(candidate=member, to="senior-pm", state="in_review", actor=committee)
        users = {"member": member.user, "manager": manager.user, "committee": committee, "hr": hr}
        yield {role: factories.token_for(user) for role, user in users.items()}


@pytest.fixture
def tokens(db, keep_test_connection, shared_tokens):
    return shared_tokens


FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)


def call_as(role, case, tokens):
    headers = {} if role == "anonymous" else {"Authorization": f"Token {tokens[role]}"}
    case.call_and_validate(headers=headers, checks=CHECKS)


@pytest.mark.parametrize("role", BOUNDARY_ROLES)
@schema.parametrize()
@FUZZ_SETTINGS
def test_api_conforms_to_its_schema(case, role, tokens):
    call_as(role, case, tokens)


if GENERATED_ONLY_ROLES:

    @pytest.mark.parametrize("role", GENERATED_ONLY_ROLES)
    @generated_only.parametrize()
    @FUZZ_SETTINGS
    def test_api_conforms_to_its_schema_on_generated_examples(case, role, tokens):
        call_as(role, case, tokens)
