"""Model-based test of the apply pipeline through the HTTP API (hypothesis RuleBasedStateMachine).

A small model predicts every answer: 409 exactly when the account's latest application for the
job (whatever form of jobId was sent) is processing or applied, else 402 exactly when no credit
is available, else 200 with creditsRemaining = available. Time moves only on the manual clock;
after each move every status is re-read and must be a legal transition (processing -> one
terminal state, terminal states never change), and the ledger must match the model
(only `applied` spends; every other terminal state releases the reservation). Two accounts
in different agencies never see each other's applications.
"""

from __future__ import annotations

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from starlette.testclient import TestClient

from mock_server.core.app import create_app
from mock_server.core.check import rate_limit_overlay
from mock_server.core.runtime import Runtime
from mock_server.vendors.uphunt.world import World, merge_worlds

from .conftest import examples

A, B = "sk_uphunt_demo_key", "sk_uphunt_second_key"
CREDITS = {A: 3, B: 2}
# jobId as sent -> the job it resolves to (the ~01abc alias and the ciphertext are one job)
JOBS = {
    "~022053140178050136031": "~022053140178050136031",
    "~022052895097657407455": "~022052895097657407455",
    "~022055000000000000001": "~022055000000000000001",  # nobody is eligible: ends not_eligible
    "~022055000000000000003": "~022055000000000000003",
    "~01abc": "~022055000000000000003",
    "~01abc123def456": "~01abc123def456",  # A already applied (the world's queue_abc123)
}
TERMINAL = {"applied", "failed", "not_available", "not_eligible", "not_enough_connects", "logged_out"}
BLOCKING = {"processing", "applied"}

APP = create_app(Runtime(World(merge_worlds(World.default().data, rate_limit_overlay())), clock="manual"))
CLIENT = TestClient(APP)


class ApplyModel(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        assert CLIENT.post("/_mock/reset").status_code == 200
        self.apps: dict[str, dict[str, str]] = {}  # queueId -> {account, job, status}
        self.latest: dict[tuple[str, str], str] = {(A, "~01abc123def456"): "queue_abc123"}
        self.apps["queue_abc123"] = {"account": A, "job": "~01abc123def456", "status": "applied"}
        self.ledger: dict[str, dict[str, int]] = {}
        for key, credits in CREDITS.items():
            r = CLIENT.put(f"/_mock/accounts/{key}", json={"credits": credits})
            assert r.status_code == 200, r.text
            c = r.json()["credits"]
            assert c["available"] == credits and c["reserved"] == 0
            self.ledger[key] = {"available": c["available"], "reserved": 0, "spent": c["spent"]}

    @rule(account=st.sampled_from([A, B]), job_ref=st.sampled_from(sorted(JOBS)))
    def apply(self, account: str, job_ref: str) -> None:
        job = JOBS[job_ref]
        latest = self.latest.get((account, job))
        ledger = self.ledger[account]
        if latest is not None and self.apps[latest]["status"] in BLOCKING:
            expected = 409
        elif ledger["available"] == 0:
            expected = 402
        else:
            expected = 200
        r = CLIENT.post(
            "/api/auto-apply-v2/apply", headers={"x-api-key": account}, json={"jobId": job_ref, "coverLetter": "Hello"}
        )
        body = r.json()
        assert r.status_code == expected, (account, job_ref, r.status_code, body)
        if expected == 409:
            assert body["queueId"] == latest and body["applicationStatus"] == self.apps[latest]["status"]
        elif expected == 402:
            assert body == {"error": "Insufficient auto-apply credits", "creditsRemaining": 0, "needsCredits": True}
        else:
            ledger["available"] -= 1
            ledger["reserved"] += 1
            assert body["applicationStatus"] == "processing" and body["jobId"] == job
            assert body["creditsRemaining"] == ledger["available"]
            self.apps[body["queueId"]] = {"account": account, "job": job, "status": "processing"}
            self.latest[(account, job)] = body["queueId"]

    @rule(seconds=st.sampled_from([1, 5, 30, 120]))
    def advance(self, seconds: int) -> None:
        r = CLIENT.post("/_mock/clock/advance", json={"seconds": seconds})
        assert r.status_code == 200, r.text
        for queue_id, app in self.apps.items():
            s = CLIENT.get(
                "/api/auto-apply-v2/status", params={"queueId": queue_id}, headers={"x-api-key": app["account"]}
            )
            assert s.status_code == 200
            new = s.json()["applicationStatus"]
            old = app["status"]
            if old in TERMINAL:
                assert new == old, f"{queue_id} left terminal state {old} for {new}"
                continue
            assert new == "processing" or new in TERMINAL
            if new in TERMINAL:
                ledger = self.ledger[app["account"]]
                ledger["reserved"] -= 1
                ledger["spent" if new == "applied" else "available"] += 1
                assert (s.json()["appliedAt"] is not None) == (new == "applied")
                app["status"] = new

    @precondition(lambda self: len(self.apps) > 1)
    @rule(data=st.data())
    def other_accounts_queue_id_is_not_found(self, data: st.DataObject) -> None:
        queue_id = data.draw(st.sampled_from(sorted(self.apps)))
        owner = self.apps[queue_id]["account"]
        other = B if owner == A else A
        r = CLIENT.get("/api/auto-apply-v2/status", params={"queueId": queue_id}, headers={"x-api-key": other})
        assert r.status_code == 404
        assert r.json()["error"] == "Application not found"

    @invariant()
    def ledger_matches_the_model(self) -> None:
        for key, expected in self.ledger.items():
            credits = CLIENT.get(f"/_mock/accounts/{key}").json()["credits"]
            assert {k: credits[k] for k in ("available", "reserved", "spent")} == expected
            assert credits["available"] + credits["reserved"] + credits["spent"] == credits["granted"]
            processing = sum(1 for a in self.apps.values() if a["account"] == key and a["status"] == "processing")
            assert credits["reserved"] == processing

    @rule()
    def each_account_lists_only_its_own(self) -> None:
        for key in (A, B):
            r = CLIENT.get("/api/auto-apply-v2/applied-jobs", params={"limit": 100}, headers={"x-api-key": key})
            listed = {row["queueId"] for row in r.json()["jobs"]}
            assert listed == {q for q, a in self.apps.items() if a["account"] == key}


ApplyModel.TestCase.settings = settings(
    max_examples=examples(6), stateful_step_count=18, deadline=None, suppress_health_check=list(HealthCheck)
)
TestApplyModel = ApplyModel.TestCase
