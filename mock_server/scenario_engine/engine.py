"""ScenarioEngine: loaded scenarios wired into a Runtime.

Rules hook in at the points DESIGN.md names, and nowhere else:

* ``request`` rules: a Runtime request hook, before authentication
  (respond / delay / drop, plus account and closeJob side effects);
* ``outcome`` rules: ``Simulator.outcome_hooks``, where the worker decides
  an application's terminal state;
* ``webhook`` rules: directives registered with ``runtime.webhooks``;
* ``start`` rules: run when loaded and again after every reset.

Evaluation of one trigger: rules are tried in load order; a rule fires when
its state requirement holds (scenario state as it was when the trigger
arrived), it is not exhausted (``times``), its static match passes, then its
counters (``nth``/``everyNth``) and finally its seeded ``probability``. Side
effects of every firing rule are applied; the first rule that answers
(respond/drop, or outcome) ends the evaluation.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..domain.latency import LatencyModel, Stage
from ..yaml_source import SourceError
from . import actions
from .matching import Subject
from .model import INITIAL_STATE, Rule, Scenario
from .schema import compile_document

if TYPE_CHECKING:
    from starlette.responses import Response

    from ..domain.applications import Application
    from ..domain.simulator import Simulator, TerminalEvent
    from ..runtime import RequestInfo, Runtime


class ScenarioEngine:
    """``runtime.scenarios``: load / load_file / clear / list, and the hooks that apply the rules."""

    def __init__(self, runtime: Runtime) -> None:
        from ..http.spec import compile_operations, load_spec

        self.rt = runtime
        self.scenarios: list[Scenario] = []
        self._operations = {op.operation_id: op.handler for op in compile_operations(load_spec("uphunt.yaml"))}
        self._t0 = runtime.clock.now()
        self._directives: dict[int, list[Any]] = {}  # id(scenario) -> its webhook directives
        runtime.add_sim_hook(self._on_new_sim)
        runtime.reset_hooks.append(self._on_reset)

    # ── Python API ──────────────────────────────────────────────────────

    def load(self, doc: str | dict[str, Any], source: str = "<python>") -> dict[str, Any]:
        """Validate and install a scenario (YAML/JSON text or a dict). Invalid -> SourceError, nothing changes.

        A scenario with the name of a loaded one replaces it; otherwise its rules
        come after the ones already loaded.
        """
        scenario = self.check(doc, source)
        scenario.restart()
        for i, existing in enumerate(self.scenarios):
            if existing.name == scenario.name:
                self._unregister_webhooks(existing)
                self.scenarios[i] = scenario
                break
        else:
            self.scenarios.append(scenario)
        for rule in scenario.rules:
            if rule.trigger == "webhook":
                self._register_webhook(scenario, rule)
        self._run_start_rules(scenario)
        self._sync_request_hook()
        return scenario.view()

    def check(self, doc: str | dict[str, Any], source: str = "<python>") -> Scenario:
        """Validate and compile a scenario without loading it (SourceError when invalid)."""
        scenario = compile_document(
            doc,
            source,
            operations=self._operations,
            job_exists=lambda ref: self.rt.sim.catalogue.resolve(ref) is not None,
            default_seed=self.rt.world.seed,
        )
        if any(r.trigger == "webhook" for r in scenario.rules) and getattr(self.rt, "webhooks", None) is None:
            index = next(i for i, r in enumerate(scenario.rules) if r.trigger == "webhook")
            raise SourceError(source, None, f"rules[{index}].webhook: this mock has no webhook engine (runtime.webhooks)")
        return scenario

    def load_file(self, path: str | Path) -> dict[str, Any]:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else str(exc)
            raise SourceError(str(path), None, f"cannot read scenario file: {reason}") from None
        return self.load(text, str(path))

    def clear(self) -> None:
        """Unload every scenario. Effects already applied (account changes, closed jobs) stay until reset."""
        for scenario in self.scenarios:
            self._unregister_webhooks(scenario)
        self.scenarios = []
        self._sync_request_hook()

    def list(self) -> list[dict[str, Any]]:
        return [s.view() for s in self.scenarios]

    # ── lifecycle ───────────────────────────────────────────────────────

    def _on_new_sim(self, sim: Simulator) -> None:
        """A simulator was built (start or reset): hook outcomes, restart counters and the clock window."""
        sim.outcome_hooks.append(self._outcome_hook)
        self._t0 = sim.clock.now()
        for scenario in self.scenarios:
            scenario.restart()

    def _on_reset(self) -> None:
        for scenario in self.scenarios:
            self._run_start_rules(scenario)

    def _sync_request_hook(self) -> None:
        wanted = any(r.trigger == "request" for s in self.scenarios for r in s.rules)
        present = self._request_hook in self.rt.request_hooks
        if wanted and not present:
            self.rt.request_hooks.append(self._request_hook)
        elif present and not wanted:
            self.rt.request_hooks.remove(self._request_hook)

    # ── evaluation ──────────────────────────────────────────────────────

    def _elapsed(self) -> float:
        return self.rt.clock.now() - self._t0

    def _scope(self, scenario: Scenario, subject: Subject) -> str:
        if scenario.per == "apiKey":
            return subject.api_key or ""
        if scenario.per == "jobId":
            return subject.job_id or ""
        return ""

    def _try(self, scenario: Scenario, rule: Rule, subject: Subject, states: dict[str, str]) -> str | None:
        """Fire ``rule`` for ``subject`` if it matches; returns the scope key it fired in."""
        scope = self._scope(scenario, subject)
        if rule.when_state is not None and states.get(scope, INITIAL_STATE) != rule.when_state:
            return None
        if rule.exhausted(scope) or not rule.matcher.static(subject):
            return None
        count = rule.counts[scope] = rule.counts.get(scope, 0) + 1
        if not rule.matcher.counted(count):
            return None
        if rule.matcher.probability is not None and not rule.rng.random() < rule.matcher.probability:
            return None
        rule.fired[scope] = rule.fired.get(scope, 0) + 1
        rule.hits += 1
        if rule.set_state is not None:
            scenario.states[scope] = rule.set_state
        return scope

    def _evaluate(self, trigger: str, subject: Subject, answers: tuple[str, ...]) -> list[Rule]:
        fired: list[Rule] = []
        for scenario in list(self.scenarios):
            states = dict(scenario.states)
            for rule in scenario.rules:
                if rule.trigger != trigger or self._try(scenario, rule, subject, states) is None:
                    continue
                fired.append(rule)
                if any(a in rule.actions for a in answers):
                    return fired
        return fired

    # ── request rules ───────────────────────────────────────────────────

    def _request_subject(self, info: RequestInfo) -> Subject:
        body: Any = None
        if info.body.lstrip()[:1] == b"{":
            try:
                body = json.loads(info.body)
            except ValueError:
                body = None
        body = body if isinstance(body, dict) else {}
        job = info.query.get("jobId") or info.query.get("cipher") or body.get("jobId")
        if job is None:
            last = info.path.rstrip("/").rsplit("/", 1)[-1]
            job = last if last.startswith("~") else None
        queue = info.query.get("queueId") or body.get("queueId")
        return Subject(
            elapsed=self._elapsed(),
            operation_id=info.operation_id,
            handler=self._operations.get(info.operation_id or ""),
            method=info.method,
            path=info.path,
            job_id=self._canonical_job(job) if isinstance(job, str) else None,
            queue_id=queue if isinstance(queue, str) else None,
            api_key=info.api_key,
        )

    def _canonical_job(self, ref: str) -> str:
        """The job's ciphertext whatever form the client sent (URL, UUID, ~01/~02); the raw value if unknown."""
        job = self.rt.sim.catalogue.resolve(ref)
        return job.ciphertext if job is not None else ref

    async def _request_hook(self, info: RequestInfo) -> Response | None:
        subject = self._request_subject(info)
        fired = self._evaluate("request", subject, ("respond", "drop"))
        if not fired:
            return None
        answer = next((r for r in fired if r.responds), None)
        info.matched_rule = (answer or fired[0]).id
        for rule in fired:
            self._side_effects(rule, subject)
        for rule in fired:
            if "delay" in rule.actions:
                await actions.wait(rule.actions["delay"], self.rt.clock)
        if answer is None:
            return None
        if "drop" in answer.actions:
            return actions.DroppedConnection()
        return self._respond(answer, subject)

    def _respond(self, rule: Rule, subject: Subject) -> Response:
        spec = rule.actions["respond"]
        status: int = spec["status"]
        handler = subject.handler or subject.operation_id
        from ..http import errors

        dialect = errors.dialect_of(handler)
        sim = self.rt.sim
        now = sim.clock.now()
        account = sim.authenticate(subject.api_key)
        clock = rule.matcher.clock
        retry = actions.retry_after_seconds(spec.get("retryAfter"), clock.seconds_left(subject.elapsed) if clock else 0.0)
        headers: dict[str, str] = {}
        ctx: dict[str, Any] = {}
        window = self._rate_window(account.api_key if account else None, handler or "", now)
        if status == 429:
            retry = 60 if retry is None else retry
            limit, name = (window[0], window[3]) if window else (60, "minute")
            ctx = {"limit": limit, "window": name, "retry_after": retry}
            headers = {
                "X-RateLimit-Limit": str(limit),
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": str(math.ceil(now + retry)),
            }
        elif actions.rate_header_statuses(status) and account is not None and window is not None:
            headers = {
                "X-RateLimit-Limit": str(window[0]),
                "X-RateLimit-Remaining": str(window[1]),
                "X-RateLimit-Reset": str(window[2]),
            }
        if retry is not None:
            headers["Retry-After"] = str(retry)
        if status == 402:
            ctx["credits"] = account.ledger.available if account else 0
        if status == 409 and account is not None and subject.job_id:
            latest = [a for a in sim.applications.values() if a.api_key == account.api_key and a.job_id == subject.job_id]
            ctx["queue_id"] = latest[-1].queue_id if latest else None
        body = spec["body"] if "body" in spec else actions.default_body(status, spec.get("message"), dialect, ctx)
        headers.update({k: str(v) for k, v in (spec.get("headers") or {}).items()})
        return actions.json_response(status, body, headers)

    def _rate_window(self, key: str | None, group: str, now: float) -> tuple[int, int, int, str] | None:
        """(limit, remaining, reset, window) the X-RateLimit-* headers describe for ``key`` now, without counting."""
        decision = self.rt.rate_limiter.peek(key, group, now)
        if decision is None:
            return None
        return decision.limit, decision.remaining, decision.reset, decision.window

    # ── outcome rules ───────────────────────────────────────────────────

    def _outcome_hook(self, app: Application, sim: Simulator) -> tuple[str, str | None] | None:
        if not self.scenarios:
            return None
        subject = Subject(elapsed=self._elapsed(), job_id=app.job_id, queue_id=app.queue_id, api_key=app.api_key)
        fired = self._evaluate("outcome", subject, ("outcome",))
        forced = None
        for rule in fired:
            self._side_effects(rule, subject)
            if "outcome" in rule.actions:
                outcome = rule.actions["outcome"]
                status = outcome["status"]
                forced = (status, outcome.get("message", actions.OUTCOME_MESSAGES[status]))
        return forced

    # ── webhook rules ───────────────────────────────────────────────────

    def _register_webhook(self, scenario: Scenario, rule: Rule) -> None:
        spec = rule.actions["webhook"]

        def match(event: TerminalEvent) -> bool:
            if scenario not in self.scenarios:  # cleared or replaced
                return False
            app = event.application
            subject = Subject(
                elapsed=self._elapsed(), job_id=app.job_id, queue_id=app.queue_id, api_key=event.api_key, event_type=event.type
            )
            return self._try(scenario, rule, subject, dict(scenario.states)) is not None

        directive = self.rt.webhooks.add_directive(  # type: ignore[attr-defined]
            match,
            duplicates=spec.get("duplicates", 0),
            delay_seconds=spec.get("delaySeconds", 0.0),
            reorder=spec.get("reorder", False),
            times=None,  # the rule counts its own `times`, so reset restarts it
        )
        self._directives.setdefault(id(scenario), []).append(directive)

    def _unregister_webhooks(self, scenario: Scenario) -> None:
        for directive in self._directives.pop(id(scenario), []):
            self.rt.webhooks.remove_directive(directive)  # type: ignore[attr-defined]

    # ── side effects (request, outcome and start rules) ────────────────

    def _side_effects(self, rule: Rule, subject: Subject) -> None:
        change = rule.actions.get("account")
        if change is not None:
            key = change.get("apiKey") or subject.api_key
            if key is not None and (key in self.rt.sim.accounts or "apiKey" in change):
                self.rt.put_account(key, {k: v for k, v in change.items() if k != "apiKey"})
        close = rule.actions.get("closeJob")
        if close is not None:
            ref = close.get("jobId") or subject.job_id
            if ref is not None:
                self._close_job(ref, close.get("afterSeconds", 0.0))

    def _close_job(self, ref: str, after: float) -> None:
        sim = self.rt.sim
        job = sim.catalogue.resolve(ref)
        if job is None:
            return

        def close() -> None:
            now = sim.clock.now()
            if job.closed_at is None or job.closed_at > now:
                job.closed_at = now

        if after > 0:
            sim.scheduler.after(after, close, f"scenario: close {job.ciphertext}")
        else:
            close()

    def _run_start_rules(self, scenario: Scenario) -> None:
        for rule in scenario.rules:
            if rule.trigger != "start":
                continue
            rule.hits += 1
            self._side_effects(rule, Subject(elapsed=self._elapsed()))
            latency = rule.actions.get("latency")
            if latency is not None:
                current = self.rt.sim.settings.latency
                self.rt.sim.settings.latency = LatencyModel(
                    pickup=Stage(**latency["pickup"]) if "pickup" in latency else current.pickup,
                    submission=Stage(**latency["submission"]) if "submission" in latency else current.submission,
                    workers=current.workers,
                )
