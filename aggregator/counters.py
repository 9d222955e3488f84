"""Counts of what intake and enrolment did, by outcome and by rejection code (GET /status)."""
from collections import Counter


class Counters:
    def __init__(self):
        self.accepted = Counter()    # stored, deleted, revoked, enrolled
        self.rejected = Counter()    # by error code

    def ok(self, what: str) -> None:
        self.accepted[what] += 1

    def reject(self, code: str) -> None:
        self.rejected[code] += 1

    def as_dict(self) -> dict:
        return {"accepted": dict(sorted(self.accepted.items())),
                "rejected": dict(sorted(self.rejected.items())),
                "rejected_total": sum(self.rejected.values())}
