"""ScenarioEngine: loaded scenarios wired into a Runtime.

Rules hook in at the points docs/architecture.md names, and nowhere else:

* ``request`` rules: a Runtime request hook, before authentication
  (respond / delay / drop, plus account and closeJob side effects);
* vendor triggers (UpHunt's ``outcome``: where the worker decides an
  application's terminal state), hooked into each new backend by the
  vendor's vocabulary (:attr:`Vocabulary.attach`);
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

import builtins
import copy
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ApiError
from ..spec import compile_operations, load_spec
from ..yaml_source import SourceError
from . import actions
from .actions import ScenarioReply
from .matching import Subject
from .model import INITIAL_STATE, Rule, Scenario
from .registry import Vocabulary
from .schema import Language, compile_document

if TYPE_CHECKING:
    from ..runtime import RequestInfo, Runtime
    from ..webhooks import Event


class ScenarioEngine:
    """``runtime.scenarios``: load / load_file / clear / list, and the hooks that apply the rules."""

    def __init__(self, runtime: Runtime) -> None:
        self.rt = runtime
        self.scenarios: list[Scenario] = []
        self.vocabulary: Vocabulary = runtime.vendor.scenario_hooks() or Vocabulary()
        self.language = Language.of(self.vocabulary)
        self._ops = {op.operation_id: op for op in compile_operations(load_spec(runtime.vendor.spec_name))}
        self._operations = {op_id: op.handler for op_id, op in self._ops.items()}
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
        return self.install(self.check(doc, source), source, doc)

    def check(self, doc: str | dict[str, Any], source: str = "<python>") -> Scenario:
        """Validate and compile a scenario without loading it (SourceError when invalid). It only reads
        the runtime, so it may run in a worker thread: ``POST /_mock/scenarios`` does, so a big file
        never stalls the event loop."""
        scenario = compile_document(
            doc,
            source,
            rt=self.rt,
            language=self.language,
            vocabulary=self.vocabulary,
            operations=self._operations,
            default_seed=self.rt.world.seed,
        )
        if any(r.trigger == "webhook" for r in scenario.rules) and getattr(self.rt, "webhooks", None) is None:
            index = next(i for i, r in enumerate(scenario.rules) if r.trigger == "webhook")
            raise SourceError(
                source, None, f"rules[{index}].webhook: this mock has no webhook engine (runtime.webhooks)"
            )
        return scenario

    def install(self, scenario: Scenario, source: str, doc: str | dict[str, Any]) -> dict[str, Any]:
        """Install a scenario :meth:`check` compiled from ``doc`` (on the event loop's thread), recorded as an
        input for snapshots: all of it, or nothing if starting it fails."""
        recorded = doc if isinstance(doc, str) else copy.deepcopy(doc)
        with self.rt.recorder.input("load", self.rt.clock.now(), recorded, source):
            return self._install(scenario, source)

    def _install(self, scenario: Scenario, source: str) -> dict[str, Any]:
        scenario.restart()
        previous = list(self.scenarios)
        replaced = next((s for s in previous if s.name == scenario.name), None)
        if replaced is not None:
            self.scenarios[previous.index(replaced)] = scenario
        else:
            self.scenarios.append(scenario)
        try:
            for rule in scenario.rules:
                if rule.trigger == "webhook":
                    self._register_webhook(scenario, rule)
            self._run_start_rules(scenario)
        except Exception as exc:  # validated rules should not fail; if one does, nothing of it stays installed
            self._unregister_webhooks(scenario)
            self.scenarios = previous
            self._sync_request_hook()
            raise SourceError(source, None, f"the scenario failed while starting: {type(exc).__name__}: {exc}") from exc
        if replaced is not None:
            self._unregister_webhooks(replaced)
        self._sync_request_hook()
        return scenario.view()

    def load_file(self, path: str | Path) -> dict[str, Any]:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else f"not UTF-8 text ({exc.reason} at byte {exc.start})"
            raise SourceError(str(path), None, f"cannot read scenario file: {reason}") from None
        return self.load(text, str(path))

    def clear(self) -> None:
        """Unload every scenario. Effects already applied (account changes, closed jobs) stay until reset."""
        self.rt.recorder.add("clear", self.rt.clock.now())
        for scenario in self.scenarios:
            self._unregister_webhooks(scenario)
        self.scenarios = []
        self._sync_request_hook()

    def list(self) -> list[dict[str, Any]]:
        return [s.view() for s in self.scenarios]

    # ── lifecycle ───────────────────────────────────────────────────────

    def _on_new_sim(self, sim: Any) -> None:
        """A backend was built (start or reset): hook vendor triggers, restart counters and the clock window."""
        if self.vocabulary.attach is not None:
            self.vocabulary.attach(self.rt, sim, self.fire)
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

    def subject(self, **fields: Any) -> Subject:
        """A subject at the current simulated time (for vendor triggers)."""
        return Subject(elapsed=self._elapsed(), **fields)

    def _scope(self, scenario: Scenario, subject: Subject) -> str:
        if scenario.per == "global":
            return ""
        if scenario.per == "apiKey":
            return subject.api_key or ""
        return subject.keys.get(scenario.per) or ""

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

    # ``builtins.list``: inside this class ``list`` names the method :meth:`list`.
    def _evaluate(self, trigger: str, subject: Subject) -> builtins.list[Rule]:
        fired: builtins.list[Rule] = []
        for scenario in list(self.scenarios):
            states = dict(scenario.states)
            for rule in scenario.candidates(trigger, subject):
                if self._try(scenario, rule, subject, states) is None:
                    continue
                fired.append(rule)
                if rule.answers:
                    return fired
        return fired

    def fire(self, trigger: str, subject: Subject) -> builtins.list[Rule]:
        """Evaluate ``trigger`` for ``subject`` and run the side effects of every rule that fired.

        Vendor triggers call this (through :attr:`Vocabulary.attach`) and read the answering
        rule's action from the rules returned."""
        if not self.scenarios:
            return []
        fired = self._evaluate(trigger, subject)
        with self.rt.recorder.nested():
            for rule in fired:
                self._side_effects(rule, subject)
        return fired

    # ── request rules ───────────────────────────────────────────────────

    def _request_subject(self, info: RequestInfo) -> Subject:
        body: Any = None
        if info.body.lstrip()[:1] == b"{":
            try:
                body = json.loads(info.body)
            except (ValueError, RecursionError):
                body = None
        body = body if isinstance(body, dict) else {}
        extract = self.vocabulary.request_subject
        return Subject(
            elapsed=self._elapsed(),
            operation_id=info.operation_id,
            handler=self._operations.get(info.operation_id or ""),
            method=info.method,
            path=info.path,
            api_key=info.api_key,
            keys=extract(self.rt, info, body) if extract is not None else {},
        )

    async def _request_hook(self, info: RequestInfo) -> ScenarioReply | None:
        subject = self._request_subject(info)
        fired = self._evaluate("request", subject)
        if not fired:
            return None
        answer = next((r for r in fired if r.responds), None)
        info.matched_rule = (answer or fired[0]).id
        with self.rt.recorder.nested():  # effects of the request, which is the recorded input
            for rule in fired:
                self._side_effects(rule, subject)
        for rule in fired:
            if "delay" in rule.actions and not info.replaying:  # a restore replays the outcome, not the wait
                await actions.wait(rule.actions["delay"], self.rt.clock)
        if answer is None:
            return None
        if "drop" in answer.actions or "dropResponse" in answer.actions:
            return ScenarioReply.drop(after_handler="dropResponse" in answer.actions)
        return self._respond(answer, subject)

    def _respond(self, rule: Rule, subject: Subject) -> ScenarioReply:
        """The rule's answer: the vendor's error for the status (rendered like a real refusal), or the rule's body."""
        spec = rule.actions["respond"]
        status: int = spec["status"]
        clock = rule.matcher.clock
        retry = actions.retry_after_seconds(
            spec.get("retryAfter"), clock.seconds_left(subject.elapsed) if clock else 0.0
        )
        build = self.vocabulary.injected_error
        op = self._ops.get(subject.operation_id or "")
        if build is not None:
            error = build(self.rt, op, status, spec.get("message"), subject, retry)
        else:
            error = ApiError(spec.get("message") or f"HTTP {status} (injected by a scenario)", status=status)
        body: Any = {}
        headers = dict(error.headers)
        if status >= 400:
            _, body, headers = self.rt.vendor.render_error(self.rt, error, op)
        if retry is not None:
            headers["Retry-After"] = str(retry)
        if "body" in spec:
            body = spec["body"]
        headers.update({k: str(v) for k, v in (spec.get("headers") or {}).items()})
        return ScenarioReply(status, body, headers)

    # ── webhook rules ───────────────────────────────────────────────────

    def _register_webhook(self, scenario: Scenario, rule: Rule) -> None:
        spec = rule.actions["webhook"]

        def match(event: Event) -> bool:
            if scenario not in self.scenarios:  # cleared or replaced
                return False
            subject = Subject(
                elapsed=self._elapsed(), api_key=event.api_key, event_type=event.type, keys=dict(event.subject)
            )
            return self._try(scenario, rule, subject, dict(scenario.states)) is not None

        directive = self.rt.webhooks.add_directive(
            match,
            duplicates=spec.get("duplicates", 0),
            delay_seconds=spec.get("delaySeconds", 0.0),
            reorder=spec.get("reorder", False),
            times=None,  # the rule counts its own `times`, so reset restarts it
        )
        self._directives.setdefault(id(scenario), []).append(directive)

    def _unregister_webhooks(self, scenario: Scenario) -> None:
        for directive in self._directives.pop(id(scenario), []):
            self.rt.webhooks.remove_directive(directive)

    # ── side effects (request, vendor and start rules) ──────────────────

    def _side_effects(self, rule: Rule, subject: Subject) -> None:
        """Run every registered action of ``rule`` that has a side effect, in the rule's order."""
        for name, argument in rule.actions.items():
            run = self.language.actions[name].run
            if run is not None:
                run(self.rt, argument, subject)

    def _run_start_rules(self, scenario: Scenario) -> None:
        for rule in scenario.rules:
            if rule.trigger != "start":
                continue
            rule.hits += 1
            self._side_effects(rule, Subject(elapsed=self._elapsed()))
