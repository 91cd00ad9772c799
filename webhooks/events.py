"""The events an endpoint may subscribe to (docs/webhooks.md has each payload)."""

from enum import StrEnum


class Event(StrEnum):
    PROMOTION_NOMINATED = "promotion.nominated"
    PROMOTION_REVIEW_STARTED = "promotion.review_started"
    PROMOTION_CHANGES_REQUESTED = "promotion.changes_requested"
    PROMOTION_RESUBMITTED = "promotion.resubmitted"
    PROMOTION_APPROVED = "promotion.approved"
    PROMOTION_REJECTED = "promotion.rejected"
    PROMOTION_WITHDRAWN = "promotion.withdrawn"
    PROMOTION_HELD = "promotion.held"
    PROMOTION_RESUMED = "promotion.resumed"
    PROMOTION_RELEASED = "promotion.released"
    PROMOTION_AWAITING_EXECUTIVE = "promotion.awaiting_executive"
    PROMOTION_APPEALED = "promotion.appealed"
    PROMOTION_UPHELD = "promotion.upheld"
    PROMOTION_EFFECTIVE = "promotion.effective"
    MEMBER_LEVEL_CHANGED = "member.level_changed"
    CYCLE_OPENED = "cycle.opened"
    CYCLE_CALIBRATING = "cycle.calibrating"
    CYCLE_CLOSED = "cycle.closed"

    @classmethod
    def choices(cls) -> list[str]:
        return [str(event) for event in cls]
