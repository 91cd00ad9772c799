"""Channels: how a notification leaves the site. Each channel is one module with a transport that
sends a batch of deliveries (`send`) and says to whom it can send at all (`reaches`); adding a
channel is adding a module here and its name to `Channel` (models.py)."""

from collections.abc import Generator
from typing import Protocol

from core.outbox import Attempt
from notifications.channels import email, slack
from notifications.models import Channel, Delivery


class Transport(Protocol):
    def reaches(self, user_ids: list[int]) -> set[int]:
        """Those of `user_ids` this channel can send to now (configured, an address, not turned
        off by them)."""
        ...

    def send(
        self, deliveries: list[Delivery], texts: dict[int, tuple[str, str] | None]
    ) -> Generator[tuple[Delivery, Attempt], None, None]:
        """Attempt each delivery, yielding it with the answer as soon as there is one. `texts`:
        for a delivery whose message is composed as it goes out, its (subject, body)."""
        ...


TRANSPORTS: dict[str, Transport] = {Channel.EMAIL: email, Channel.SLACK: slack}
