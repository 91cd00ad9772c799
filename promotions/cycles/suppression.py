"""Which groups of a cycle's statistics to hide (docs/design.md, "Stats").

Primary suppression hides every group of fewer than the minimum candidates. Complementary
suppression then hides more groups until no hidden one can be recovered by subtraction: the
published groups are linked by sums (the cycle's total is the sum of its levels, of its tracks and
of its organisations; a track is the sum of its levels), and a hidden group is recoverable exactly
when its unknown lies in the row space of those sums over the hidden unknowns. That question is
answered with exact rational arithmetic; pure Python, no Django."""

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction

Key = Hashable


@dataclass(frozen=True)
class Sum:
    """`total` is the sum of `parts`."""

    total: Key
    parts: tuple[Key, ...]


def _reduced(rows: list[list[Fraction]]) -> list[list[Fraction]]:
    """Row echelon form (Gauss-Jordan) of `rows`, zero rows dropped."""
    rows = [row[:] for row in rows]
    pivot_row = 0
    width = len(rows[0]) if rows else 0
    for column in range(width):
        pivot = next((r for r in range(pivot_row, len(rows)) if rows[r][column] != 0), None)
        if pivot is None:
            continue
        rows[pivot_row], rows[pivot] = rows[pivot], rows[pivot_row]
        lead = rows[pivot_row][column]
        rows[pivot_row] = [value / lead for value in rows[pivot_row]]
        for r in range(len(rows)):
            if r != pivot_row and rows[r][column] != 0:
                factor = rows[r][column]
                rows[r] = [a - factor * b for a, b in zip(rows[r], rows[pivot_row], strict=True)]
        pivot_row += 1
    return rows[:pivot_row]


def recoverable(hidden: set[Key], sums: Iterable[Sum]) -> set[Key]:
    """The hidden keys whose values follow from the published ones through `sums`."""
    unknowns = sorted(hidden, key=repr)
    if not unknowns:
        return set()
    index = {key: i for i, key in enumerate(unknowns)}
    rows = []
    for link in sums:
        row = [Fraction(0)] * len(unknowns)
        if link.total in index:
            row[index[link.total]] += 1
        for part in link.parts:
            if part in index:
                row[index[part]] -= 1
        if any(row):
            rows.append(row)
    if not rows:
        return set()
    basis = _reduced(rows)
    # e_k is in the row space of a reduced basis iff some basis row is exactly e_k.
    found = set()
    for row in basis:
        nonzero = [i for i, value in enumerate(row) if value != 0]
        if len(nonzero) == 1:
            found.add(unknowns[nonzero[0]])
    return found


def pinned_sums(hidden: set[Key], sums: Iterable[Sum], sizes: Mapping[Key, int], min_group: int):
    """The published sums whose hidden parts together are too few to hide anyone: the reader
    learns their combined size by subtraction, and since every listed group has at least one
    candidate, a combined size no larger than the number of hidden parts pins each part (two
    hidden groups of 2 candidates in all: one each). A combined size under `min_group` is too
    small a group in itself. Either way, such a sum needs one more part hidden."""
    for link in sums:
        if link.total in hidden:
            continue
        parts = [part for part in link.parts if part in hidden]
        combined = sum(sizes[part] for part in parts)
        if parts and (combined < min_group or combined <= len(parts)):
            yield link


def suppressed_keys(*, sizes: Mapping[Key, int], sums: list[Sum], min_group: int) -> set[Key]:
    """The keys to hide: those of fewer than `min_group` candidates; then, while a published sum
    pins its hidden parts (pinned_sums), the smallest other part of it (or its total, when none is
    left); and while any hidden key is recoverable by subtraction, one more published key: the
    one that leaves the fewest recoverable (a group rather than the totals, then the smallest).
    Hiding everything stops every recovery, so this ends."""
    hidden = {key for key, size in sizes.items() if size < min_group}
    totals = {link.total for link in sums} - {part for link in sums for part in link.parts}
    keys = {key for link in sums for key in (link.total, *link.parts)}
    while True:
        pinned = next(pinned_sums(hidden, sums, sizes, min_group), None)
        if pinned is not None:
            others = [part for part in pinned.parts if part not in hidden]
            hidden.add(min(others, key=lambda k: (sizes[k], repr(k))) if others else pinned.total)
            continue
        exposed = recoverable(hidden, sums)
        published = keys - hidden
        if not exposed or not published:  # nothing left to hide: an empty cycle's total
            return hidden
        outcomes = {key: recoverable(hidden | {key}, sums) for key in published}
        choice = min(
            published,
            key=lambda key: (len(outcomes[key]), key in totals, sizes[key], repr(key)),
        )
        hidden.add(choice)
