"""Jobo Auto Apply, simulated: profiles, applications on the clock, idempotency, quotas, callbacks.

Pure Python, no HTTP (import-linter checks it). :class:`~.service.AutoApplyService` is the one
entry point the vendor's handlers call; each method applies the documented check order and
raises :class:`~.errors.AutoApplyError` (a code, no status) for every refusal. Applications are
state machines whose every future step is an event on the engine's scheduler
(:mod:`.applications`); what the employer's side does is a *form* (:mod:`.forms`).
"""

from .errors import AutoApplyError
from .service import AutoApplyService, AutoApplySettings

__all__ = ["AutoApplyError", "AutoApplyService", "AutoApplySettings"]
