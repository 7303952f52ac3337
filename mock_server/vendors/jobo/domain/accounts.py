"""API keys, plans and feed access.

A key is live (``jbe_live_…``, or a legacy plain ``jbe_…``) or sandbox (``jbe_test_…``): sandbox
keys see the separate sandbox catalogue and are never charged. Each key has a plan
(``free``/``paid``), a feed access mode (decision J7), an Auto Apply permission (for the
auto-apply issue) and a wallet.
"""

from __future__ import annotations

import base64
import hashlib
import random
import string
from dataclasses import dataclass, field

from .credits import Wallet

# The default world's keys (fixed, so `serve` can print them and docs can show them): the demo key is
# paid with pay-as-you-go feed access; the sandbox key sees the fictional catalogue for free; the free
# key has the free plan (no feed). Shape: jbe_{live|test}_{21 chars}_{43 chars}, 74 characters.
DEMO_LIVE_KEY = "jbe_live_DemoKeyUphuntMockLive_LiveCatalogueMeteredPayAsYouGoFeedAccess000"
DEMO_SANDBOX_KEY = "jbe_test_DemoKeyUphuntMockTest_SandboxCatalogueFreeOfChargeSubscription000"
DEMO_FREE_KEY = "jbe_live_DemoKeyUphuntMockFree_FreePlanNoFeedAccessSixtyRequestsAMinute000"

PLANS = ("free", "paid")
FEED_ACCESS = ("subscription", "payg", "none")
_KEY_CHARS = string.ascii_letters + string.digits


def is_sandbox_key(api_key: str) -> bool:
    return api_key.startswith("jbe_test_")


def is_jobo_key(api_key: str) -> bool:
    """The documented key shapes: ``jbe_live_…``, ``jbe_test_…`` and legacy ``jbe_…``."""
    return api_key.startswith("jbe_") and len(api_key) > 4


def make_key(rng: random.Random, sandbox: bool) -> str:
    """``jbe_{live|test}_{21}_{43}``: 74 characters, like the real keys."""
    head = "".join(rng.choice(_KEY_CHARS) for _ in range(21))
    tail = "".join(rng.choice(_KEY_CHARS) for _ in range(43))
    return f"jbe_{'test' if sandbox else 'live'}_{head}_{tail}"


def default_callback_secret(api_key: str) -> str:
    """A key's initial ``whsec_`` secret: derived from the key, so it is stable across resets and runs."""
    digest = hashlib.sha256(f"jobo-callback-secret:{api_key}".encode()).digest()
    return "whsec_" + base64.b64encode(digest).decode("ascii").rstrip("=")


def check_callback_secret(value: object, name: str) -> str:
    if not isinstance(value, str) or not value.startswith("whsec_") or len(value) < 14 or len(value) > 200:
        raise ValueError(f"{name} must be a string starting with whsec_ (14-200 characters)")
    return value


def feed_access(value: object) -> str:
    """The control API's ``feed``: true = subscription, false = none, or one of the three names."""
    if value is True:
        return "subscription"
    if value is False or value is None:
        return "none"
    if value in FEED_ACCESS:
        return str(value)
    raise ValueError(f"feed must be true, false or one of {', '.join(FEED_ACCESS)}")


@dataclass
class Account:
    api_key: str
    plan: str = "paid"
    feed: str = "payg"
    auto_apply: bool = False
    wallet: Wallet = field(default_factory=Wallet)
    managed_companies: list[str] = field(default_factory=list)
    revoked: bool = False
    callback_url: str | None = None
    callback_secret: str = ""  # whsec_…: signs Auto Apply callbacks (decision J34)
    previous_callback_secret: str | None = None  # set while a secret rotates: two signatures

    def __post_init__(self) -> None:
        if not self.callback_secret:
            self.callback_secret = default_callback_secret(self.api_key)

    @property
    def sandbox(self) -> bool:
        return is_sandbox_key(self.api_key)
