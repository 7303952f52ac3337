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
