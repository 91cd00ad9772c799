"""What an app holds about a member, for the member's data rights (docs/data-rights.md): each app
that keeps personal data of its own registers, in its AppConfig.ready(), how to export it and how
to erase it. The export (`members/me/export/`) and the erasure (`members/{id}/erase/`) walk every
section registered here, so an app nothing may import (analytics) still takes part."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Section:
    name: str  # the key of the section in the member's export
    export: Callable[[Any], Any]  # member -> JSON-ready data the member may read
    erase: Callable[[Any], None]  # member -> None: called inside the erasure's transaction


_SECTIONS: dict[str, Section] = {}


def register(name: str, *, export: Callable[[Any], Any], erase: Callable[[Any], None]) -> None:
    if name in _SECTIONS and _SECTIONS[name] != Section(name, export, erase):
        raise ValueError(f"A personal-data section named {name!r} is registered already.")
    _SECTIONS[name] = Section(name, export, erase)


def sections() -> list[Section]:
    return sorted(_SECTIONS.values(), key=lambda section: section.name)
