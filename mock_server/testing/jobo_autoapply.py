"""Invariants of a well-behaved Jobo Auto Apply client, checked on what it sent and what it got back.

:class:`ExchangeRecorder` is an httpx transport that records every exchange (with the mock's
simulated time, and status 0 for a transport error); :func:`check_client` holds the exchanges to
the documented client behaviour and returns the :class:`~mock_server.testing.invariants.Violation`
list (empty: the client behaved):

* ``idempotency_key``: every create carries an ``Idempotency-Key``;
* ``same_key_after_error``: after a create that got no answer (transport error), a 5xx or a 429,
  the next create of the same body uses the same key;
* ``never_create_twice``: one key per create body (a client may not start a second application
  for a target it already has one for);
* ``retry_after``: after a 429 or 503 carrying ``Retry-After``, the next request to the same
  path waits at least that long (simulated seconds);
* ``answer_in_time``: answers are sent before the step's ``answers_expire_at``, for the round
  the client last saw;
* ``stop_at_terminal``: no request about an application after a response showed it terminal.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

CREATE = ("POST", "/api/auto-apply/applications")
TERMINAL = frozenset({"submitted", "failed", "canceled"})
TOLERANCE = 0.001


@dataclass(frozen=True)
class Exchange:
    """One request and its answer. ``time`` is simulated Unix seconds; ``status`` 0: no answer."""

    time: float
    method: str
    path: str
    request_headers: dict[str, str]
    request_body: Any
    status: int
    response_headers: dict[str, str]
    response_body: Any
    error: str | None = None

    @property
    def application_id(self) -> str | None:
        parts = self.path.split("/")
        if len(parts) > 4 and parts[1:4] == ["api", "auto-apply", "applications"]:
            return parts[4]
        body = self.response_body
        return body.get("id") if isinstance(body, dict) and isinstance(body.get("id"), str) else None

    def __str__(self) -> str:
        return f"t={self.time:.3f} {self.method} {self.path} -> {self.status or self.error}"


@dataclass(frozen=True)
class Violation:
    """One broken invariant: which check, what happened, and the exchanges that show it."""

    check: str
    message: str
    requests: tuple[Exchange, ...] = ()

    def __str__(self) -> str:
        shown = "".join(f"\n      {r}" for r in self.requests)
        return f"[{self.check}] {self.message}{shown}"


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return raw.decode("utf-8", "replace")


class ExchangeRecorder(httpx.BaseTransport):
    """An httpx transport that records every exchange; ``now`` reads the mock's clock (simulated seconds)."""

    def __init__(self, now: Callable[[], float], inner: httpx.BaseTransport | None = None) -> None:
        self.now = now
        self.inner = inner or httpx.HTTPTransport()
        self.exchanges: list[Exchange] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        at = self.now()
        headers = {k.lower(): v for k, v in request.headers.items()}
        body = _json(request.content)
        try:
            response = self.inner.handle_request(request)
            response.read()
        except httpx.TransportError as exc:
            self.exchanges.append(
                Exchange(at, request.method, request.url.path, headers, body, 0, {}, None, type(exc).__name__)
            )
            raise
        self.exchanges.append(
            Exchange(at, request.method, request.url.path, headers, body, response.status_code,
                     {k.lower(): v for k, v in response.headers.items()}, _json(response.content))
        )  # fmt: skip
        return response

    def close(self) -> None:
        self.inner.close()


def _seconds(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def _canonical(body: Any) -> str:
    return json.dumps(body, sort_keys=True, separators=(",", ":"))


def check_client(exchanges: list[Exchange]) -> list[Violation]:
    """Every broken invariant of the module docstring, in the order the exchanges happened."""
    out: list[Violation] = []
    creates = [e for e in exchanges if (e.method, e.path) == CREATE]
    keys_by_body: dict[str, set[str]] = {}
    for e in creates:
        key = e.request_headers.get("idempotency-key")
        if not key:
            out.append(Violation("idempotency_key", "a create without an Idempotency-Key", (e,)))
            continue
        keys_by_body.setdefault(_canonical(e.request_body), set()).add(key)
    for body, keys in keys_by_body.items():
        if len(keys) > 1:
            out.append(Violation("never_create_twice", f"{len(keys)} Idempotency-Keys for one target {body}"))
    for i, e in enumerate(creates):
        if e.status == 0 or e.status >= 500 or e.status == 429:
            later = next(
                (n for n in creates[i + 1 :] if _canonical(n.request_body) == _canonical(e.request_body)), None
            )
            if later is not None and later.request_headers.get("idempotency-key") != e.request_headers.get(
                "idempotency-key"
            ):
                out.append(Violation("same_key_after_error", "a retried create used a new Idempotency-Key", (e, later)))
    for i, e in enumerate(exchanges):
        retry = e.response_headers.get("retry-after") if e.status in (429, 503) else None
        if retry and retry.isdigit():
            later = next((n for n in exchanges[i + 1 :] if (n.method, n.path) == (e.method, e.path)), None)
            if later is not None and later.time + TOLERANCE < e.time + int(retry):
                out.append(
                    Violation(
                        "retry_after",
                        f"retried after {later.time - e.time:.1f} s, Retry-After was {retry} s",
                        (e, later),
                    )
                )
    last_step: dict[str, dict[str, Any]] = {}
    terminal_at: dict[str, Exchange] = {}
    for e in exchanges:
        app = e.application_id
        if app is None:
            continue
        if app in terminal_at:
            out.append(Violation("stop_at_terminal", f"a request about {app} after it was {terminal_at[app].response_body['status']}",
                                 (terminal_at[app], e)))  # fmt: skip
            continue
        if e.method == "POST" and e.path.endswith("/answers"):
            step = last_step.get(app)
            if step is not None:
                if e.time > _seconds(step["answers_expire_at"]) + TOLERANCE:
                    out.append(
                        Violation(
                            "answer_in_time",
                            f"answers for {app} after answers_expire_at {step['answers_expire_at']}",
                            (e,),
                        )
                    )
                sent = e.request_body.get("correction_round") if isinstance(e.request_body, dict) else None
                if sent is not None and sent != step["correction_round"]:
                    out.append(
                        Violation(
                            "answer_in_time",
                            f"answers for round {sent}, the step was at {step['correction_round']}",
                            (e,),
                        )
                    )
        body = e.response_body
        if isinstance(body, dict) and 200 <= e.status < 300 and isinstance(body.get("status"), str):
            if body.get("current_step"):
                last_step[app] = body["current_step"]
            if body["status"] in TERMINAL:
                terminal_at[app] = e
    return out


def assert_client_behaved(exchanges: list[Exchange]) -> None:
    """Fail with every violation listed (for a test)."""
    problems = check_client(exchanges)
    if problems:
        raise AssertionError("the client broke the Auto Apply contract:\n  " + "\n  ".join(map(str, problems)))


# ── over a running mock's journal (``uphunt-mock verify``) ──────────────────

CHECKS = {
    "idempotency_key": "every create carries an Idempotency-Key",
    "same_key_after_error": "a create retried after no answer, a 5xx or a 429 reuses its key",
    "never_create_twice": "one Idempotency-Key per create body",
    "retry_after": "Retry-After of a 429/503 is waited before the next request to the path",
    "answer_in_time": "answers go before answers_expire_at, for the current round",
    "stop_at_terminal": "nothing is sent about an application once it is terminal",
}


def exchanges_from_journal(requests: Any) -> list[Exchange]:
    """Journal entries (:class:`~mock_server.testing.journal.Request`, which keeps each response) as exchanges."""
    out = []
    for r in requests:
        if not r.path.startswith("/api/auto-apply/"):
            continue
        response = r.response or {}
        out.append(
            Exchange(
                time=r.time, method=r.method, path=r.path,
                request_headers={k.lower(): v for k, v in (r.headers or {}).items()},
                request_body=r.body, status=r.status or 0,
                response_headers={k.lower(): v for k, v in (response.get("headers") or {}).items()},
                response_body=response.get("body"),
            )
        )  # fmt: skip
    return out


def check_journal(log: Any, applications: Any = None, schedule: Any = None, checks: Any = None) -> list[Violation]:
    """Jobo's ``Vendor.client_invariants``: :func:`check_client` over a running mock's journal
    (``uphunt-mock verify --base-url URL`` against ``serve --vendor jobo``)."""
    violations = check_client(exchanges_from_journal(log))
    return [v for v in violations if not checks or v.check in checks]
