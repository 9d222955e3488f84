"""Every refusal the aggregator gives: a machine-readable code, an HTTP status, words."""
from carbon.summary_wire import WireError

HTTP_STATUS = {
    "malformed": 400, "bad_version": 400, "bad_type": 400, "bad_value": 400,
    "missing_field": 400, "unknown_field": 400, "field_not_asked": 400,
    "too_large": 413,
    "bad_signature": 401,
    "revoked_key": 403, "token_unknown": 403,
    "unknown_key": 404, "unknown_study": 404,
    "replay": 409, "revision_backwards": 409, "revision_conflict": 409,
    "token_used": 409, "key_taken": 409,
    "month_not_over": 422, "outside_study": 422,
}


class Refused(WireError):
    """A well-formed message the aggregator will not take, with its reason."""

    def __init__(self, code: str, message: str, where: str = "", extra: dict | None = None):
        super().__init__(code, message, where)
        self.extra = extra or {}


def status_of(code: str) -> int:
    return HTTP_STATUS.get(code, 400)
