"""UpHunt accounts: one API key, one credit ledger, one agency, one webhook URL."""

from __future__ import annotations

from dataclasses import dataclass, field

from .ledger import CreditLedger


@dataclass(slots=True)
class Account:
    api_key: str
    agency_id: str
    ledger: CreditLedger
    webhook_url: str | None = None
    legacy_keys: list[str] = field(default_factory=list)  # retired v1 Bearer `up_` keys


def mask_key(key: str) -> str:
    """Show enough of a key to recognise it in logs, never enough to use it."""
    if len(key) <= 8:
        return "****"
    return f"{key[:6]}…{key[-4:]}"
