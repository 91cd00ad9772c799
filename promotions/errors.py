from enum import StrEnum

from core.errors import Conflict, InvalidInput, NotAllowed, NotFound, Unprocessable


class ErrorCode(StrEnum):
    """Codes of nominations, reviews and transitions."""

    NO_SUCH_PROMOTION = "no_such_promotion"
    NO_SUCH_MEMBER = "no_such_member"
    INVALID_STATE = "invalid_state"
    INVALID_MOVE = "invalid_move"
    NOT_ELIGIBLE = "not_eligible"
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
    INVALID_IDEMPOTENCY_KEY = "invalid_idempotency_key"
    SELF_NOMINATION = "self_nomination"
    PACKET_AUTHOR_RECUSED = "packet_author_recused"
    HR_ONLY = "hr_only"
    JUSTIFICATION_REQUIRED = "justification_required"
    INVALID_DECISION = "invalid_decision"
    COMMENT_REQUIRED = "comment_required"
    NOTE_REQUIRED = "note_required"
    QUORUM_NOT_MET = "quorum_not_met"
    LEVEL_CHANGED = "level_changed"
    MOVE_INACTIVE = "move_inactive"
    EVIDENCE_MISSING = "evidence_missing"
    UNKNOWN_CRITERION = "unknown_criterion"
    EVIDENCE_INVALID = "evidence_invalid"
    NO_SUCH_VERSION = "no_such_version"
    PACKET_UNCHANGED = "packet_unchanged"
    RATINGS_MISSING = "ratings_missing"
    CYCLE_NOT_CALIBRATING = "cycle_not_calibrating"
    EFFECTIVE_ON_SET_BY_CYCLE = "effective_on_set_by_cycle"
    EFFECTIVE_ON_PAST = "effective_on_past"
    EFFECTIVE_ON_TOO_FAR = "effective_on_too_far"
    NO_SUCH_CYCLE = "no_such_cycle"
    CYCLE_NOT_DRAFT = "cycle_not_draft"
    CYCLE_TRACKS_OVERLAP = "cycle_tracks_overlap"
    CYCLE_DATES_OUT_OF_ORDER = "cycle_dates_out_of_order"
    CYCLE_HAS_OPEN_PROMOTIONS = "cycle_has_open_promotions"
    # The executive step and appeals (promotions/appeals/).
    TOOK_PART_BEFORE = "took_part_before"
    APPEAL_WINDOW_CLOSED = "appeal_window_closed"
    STATEMENT_REQUIRED = "statement_required"
    STATEMENT_TOO_LONG = "statement_too_long"
    OPEN_PROMOTION = "open_promotion"
    EFFECTIVE_ON_SET_BY_EXECUTIVE = "effective_on_set_by_executive"
    # A decision held for a cycle's release date (promotions/release.py).
    ALREADY_RELEASED = "already_released"
    # Delegation (promotions.delegations).
    NO_SUCH_DELEGATION = "no_such_delegation"
    SELF_DELEGATION = "self_delegation"
    DELEGATOR_LACKS_ROLE = "delegator_lacks_role"
    DELEGATE_LACKS_ROLE = "delegate_lacks_role"
    DELEGATION_OVERLAPS = "delegation_overlaps"
    DELEGATION_CHAIN = "delegation_chain"
    DELEGATION_DATES_OUT_OF_ORDER = "delegation_dates_out_of_order"
    DELEGATION_STARTS_IN_PAST = "delegation_starts_in_past"
    NO_DELEGATION = "no_delegation"
    SEAT_RECUSED = "seat_recused"
    # Nomination requests (promotions/requests/).
    NO_SUCH_NOMINATION_REQUEST = "no_such_nomination_request"
    NOMINATION_REQUEST_PENDING = "nomination_request_pending"
    NOMINATION_REQUEST_ANSWERED = "nomination_request_answered"
    NO_MANAGER = "no_manager"
    REASON_REQUIRED = "reason_required"
    # Legal hold (promotions/retention.py).
    LEGAL_HOLD_SET = "legal_hold_set"
    NO_LEGAL_HOLD = "no_legal_hold"


class PromotionNotFound(NotFound):
    code = ErrorCode.NO_SUCH_PROMOTION
    default_message = "No such promotion."


class CandidateNotFound(InvalidInput):
    """A candidate the nominator may not see: 400, and no hint whether they exist."""

    code = ErrorCode.NO_SUCH_MEMBER
    default_message = "No such member."


class ActionNotAllowed(NotAllowed):
    pass


class TransitionConflict(Conflict):
    code = ErrorCode.INVALID_STATE


class InvalidLevelMove(InvalidInput):
    code = ErrorCode.INVALID_MOVE


class NotEligible(Conflict):
    """The member may not be nominated for this level now; `reasons` lists every reason."""

    code = ErrorCode.NOT_ELIGIBLE
    default_message = "The member is not eligible for this promotion now."


class CycleNotFound(NotFound):
    code = ErrorCode.NO_SUCH_CYCLE
    default_message = "No such cycle."


class IdempotencyKeyReused(Unprocessable):
    code = ErrorCode.IDEMPOTENCY_KEY_REUSED
    default_message = "This Idempotency-Key was used before with another request body."


class InvalidIdempotencyKey(InvalidInput):
    code = ErrorCode.INVALID_IDEMPOTENCY_KEY
    default_message = "An Idempotency-Key is 1 to 255 printable ASCII characters."
