"""Whatever JSON the identity provider sends, SCIM answers a status below 500 with a SCIM error
body when it refuses: random documents, and random changes to a valid User and PatchOp.
`make test` runs the quick depth (tests/depth.py)."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.accounts.scim import ENTERPRISE, ERROR, LADDER, new_client, okta_user
from tests.depth import examples

EXAMPLES = examples(quick=40, deep=400)

pytestmark = pytest.mark.django_db

scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
documents = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)
KEYS = ["userName", "name", "emails", "active", "externalId", ENTERPRISE, LADDER, "schemas", "id"]
OPS = ["add", "replace", "remove", "Replace", "copy", None, 3]
PATHS = [
    None,
    "active",
    "userName",
    "emails",
    'emails[type eq "work"].value',
    f"{ENTERPRISE}:manager",
    f"{LADDER}:level",
    "members",
    'members[value eq "1"]',
    "name.givenName",
    "[",
    "",
]


@pytest.fixture
def scim(db):
    # One per test (hypothesis runs its examples inside it, in the test's transaction).
    return new_client("fuzz")


def _refused_well(answer) -> None:
    assert answer.status < 500, answer.body
    if answer.status >= 400:
        assert answer.body["schemas"] == [ERROR]


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(body=documents)
def test_random_documents(scim, body):
    for method, path in (("POST", "/Users"), ("PATCH", "/Groups/1"), ("PUT", "/Groups/1")):
        _refused_well(scim.request(method, path, body))


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(key=st.sampled_from(KEYS), value=documents, n=st.integers(0, 10**6))
def test_a_user_with_one_attribute_changed(scim, key, value, n):
    body = okta_user(f"fuzz{n}@example.com")
    body[key] = value
    _refused_well(scim.request("POST", "/Users", body))


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(op=st.sampled_from(OPS), path=st.sampled_from(PATHS), value=documents)
def test_random_patch_operations(scim, op, path, value):
    created = scim.post("/Users", okta_user("patched@example.com"))
    user_id = (
        created.body["id"]
        if created.status == 201
        else scim.get("/Users?filter=userName%20eq%20%22patched@example.com%22").body["Resources"][
            0
        ]["id"]
    )
    operation = {"op": op, "value": value}
    if path is not None:
        operation["path"] = path
    _refused_well(scim.patch(f"/Users/{user_id}", operation))
    _refused_well(scim.patch("/Groups/1", operation))
