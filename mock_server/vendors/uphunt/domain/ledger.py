"""Auto-apply credits of one account.

Credits are reserved when an application is queued and either spent (on
``applied``) or released (every other terminal state). The invariant
``available + reserved + spent == granted`` holds after every operation;
property tests check it through the HTTP API.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class CreditLedger:
    available: int = 0
    reserved: int = 0
    spent: int = 0
    granted: int = 0

    @classmethod
    def with_grant(cls, credits: int) -> CreditLedger:
        return cls(available=credits, granted=credits)

    def reserve(self) -> bool:
        """Hold one credit for a queued application; False when none is available."""
        if self.available < 1:
            return False
        self.available -= 1
        self.reserved += 1
        return True

    def spend(self) -> None:
        """The reserved credit is consumed: the proposal reached Upwork."""
        self._take_reserved()
        self.spent += 1

    def release(self) -> None:
        """The reserved credit goes back: the application ended without applying."""
        self._take_reserved()
        self.available += 1

    def set_available(self, credits: int) -> None:
        """Top up or claw back so that ``available == credits`` (grants adjust to match)."""
        if credits < 0:
            raise ValueError("credits must be >= 0")
        self.granted += credits - self.available
        self.available = credits

    def _take_reserved(self) -> None:
        if self.reserved < 1:
            raise RuntimeError("no reserved credit to settle")
        self.reserved -= 1

    def as_dict(self) -> dict[str, int]:
        return {
            "available": self.available,
            "reserved": self.reserved,
            "spent": self.spent,
            "granted": self.granted,
        }
