"""The `filter` a list takes: `eq` comparisons of a few attributes, joined by `and`, e.g.
`userName eq "ann@example.com" and externalId eq "00u1"`; attribute names and operators match
regardless of case (RFC 7644 §3.4.2.2). Anything else is 400 `invalidFilter`: a filter this
service does not understand must never be read as "everyone"."""

import re

from accounts.scim.errors import ScimError

_COMPARISON = re.compile(
    r'\s*(?P<attr>[A-Za-z][A-Za-z0-9.:_-]*)\s+(?P<op>[A-Za-z]+)\s+"(?P<value>(?:[^"\\]|\\.)*)"\s*'
)
_AND = re.compile(r"and(?=\s)", re.IGNORECASE)


def filter_parse(text: str, *, attributes: dict[str, str]) -> list[tuple[str, str]]:
    """[(field, value)] for a filter over `attributes` (SCIM name, lower case → our field)."""
    found: list[tuple[str, str]] = []
    position = 0
    while True:
        match = _COMPARISON.match(text, position)
        if match is None:
            raise _invalid(text)
        attr, op = match["attr"].lower(), match["op"].lower()
        if op != "eq":
            raise ScimError(400, f"Only `eq` is supported, not `{match['op']}`.", "invalidFilter")
        if attr.startswith("urn:ietf:params:scim:schemas:core:2.0:user:"):
            attr = attr.rpartition(":")[2]
        if attr not in attributes:
            names = ", ".join(sorted(attributes.values()))
            raise ScimError(
                400, f"Filtering on `{match['attr']}` is not supported ({names}).", "invalidFilter"
            )
        found.append((attributes[attr], re.sub(r"\\(.)", r"\1", match["value"])))
        position = match.end()
        if position == len(text):
            return found
        joined = _AND.match(text, position)
        if joined is None:
            raise _invalid(text)
        position = joined.end()


def _invalid(text: str) -> ScimError:
    return ScimError(
        400,
        "The filter is not understood: give `eq` comparisons joined by `and`, "
        'e.g. userName eq "ann@example.com".',
        "invalidFilter",
    )
