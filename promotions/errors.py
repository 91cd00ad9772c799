from ladder.errors import Conflict, InvalidInput, NotAllowed, NotFound, Unprocessable


class PromotionNotFound(NotFound):
    code = "no_such_promotion"
    default_message = "No such promotion."


class CandidateNotFound(InvalidInput):
    """A candidate the nominator may not see: 400, and no hint whether they exist."""

    code = "no_such_member"
    default_message = "No such member."


class ActionNotAllowed(NotAllowed):
    pass


class TransitionConflict(Conflict):
    code = "invalid_state"


class InvalidLevelMove(InvalidInput):
    code = "invalid_move"


class PromotionAlreadyOpen(Conflict):
    code = "promotion_already_open"
    default_message = "This member already has an open promotion."


class IdempotencyKeyReused(Unprocessable):
    code = "idempotency_key_reused"
    default_message = "This Idempotency-Key was used before with another request body."


class InvalidIdempotencyKey(InvalidInput):
    code = "invalid_idempotency_key"
    default_message = "An Idempotency-Key is 1 to 255 printable ASCII characters."
