"""How hard the property tests search. `make test` runs the quick depth, which still walks every
rule; `make test-deep` (TEST_DEPTH=deep) the full one, as the suite did before it had to stay
within five minutes (docs/development.md)."""

import os

DEEP = os.environ.get("TEST_DEPTH") == "deep"


def examples(*, quick: int, deep: int) -> int:
    return deep if DEEP else quick
