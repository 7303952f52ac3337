"""Credit amounts and the wallet, in integer milli-credits so fractional prices never drift.

Prices such as 0.5 credit per feed job are exact: every amount is an ``int`` number of
milli-credits (1 credit = 1,000 milli-credits; 1,000 credits = $1.00, so 1 milli-credit is a
thousandth of a cent). Amounts are shown as exact decimals (``12.5``), never floats.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from .errors import InsufficientCredits

MILLI = 1000


def to_milli(amount: int | float | str | Decimal) -> int:
    """Credits (number or decimal text) to milli-credits; refuses more than 3 decimals or non-finite values."""
    try:
        value = Decimal(str(amount))
    except InvalidOperation as exc:
        raise ValueError(f"not a credit amount: {amount!r}") from exc
    if not value.is_finite():
        raise ValueError(f"not a credit amount: {amount!r}")
    milli = value * MILLI
    if milli != milli.to_integral_value():
        raise ValueError(f"credit amounts have at most 3 decimals: {amount!r}")
    return int(milli)


def text(milli: int) -> str:
    """Exact decimal text of an amount: ``0``, ``12``, ``12.5``, ``0.001``."""
    sign = "-" if milli < 0 else ""
    whole, frac = divmod(abs(milli), MILLI)
    if not frac:
        return f"{sign}{whole}"
    return f"{sign}{whole}.{frac:03d}".rstrip("0")


def number(milli: int) -> int | float:
    """An amount as a JSON number: an int when whole, else the float whose shortest repr is the exact decimal."""
    if milli % MILLI == 0:
        return milli // MILLI
    return float(text(milli))


@dataclass
class Wallet:
    """One key's credits. Invariant: ``balance + spent == granted`` (all milli-credits)."""

    granted: int = 0
    spent: int = 0

    @property
    def balance(self) -> int:
        return self.granted - self.spent

    def set_balance(self, milli: int) -> None:
        """Top-up or correction from the control API: what was spent stays spent."""
        if milli < 0:
            raise ValueError("a balance cannot be negative")
        self.granted = milli + self.spent

    def precheck(self, required: int, operation: str) -> None:
        """Refuse (402) unless the balance covers ``required``; takes nothing."""
        if required > self.balance:
            raise InsufficientCredits(required, self.balance, operation)

    def debit(self, milli: int) -> int:
        """Take ``milli`` (already prechecked, never more than the balance) and return it."""
        if milli < 0 or milli > self.balance:
            raise ValueError(f"debit of {milli} against a balance of {self.balance}")
        self.spent += milli
        return milli

    def refund(self, milli: int) -> int:
        """Give back ``milli`` of what was spent (an Auto Apply refund, decision J31); the invariant holds."""
        if milli < 0 or milli > self.spent:
            raise ValueError(f"refund of {milli} against {self.spent} spent")
        self.spent -= milli
        return milli
