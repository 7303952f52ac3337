"""Ledger and state-machine invariants under random interleavings, through the HTTP API (hypothesis).

After every step, for every account: available + reserved + spent == granted, reserved equals the
number of its applications still processing, and every application has only ever moved
processing -> one terminal state, never changing afterwards.
"""

from __future__ import annotations

import functools
from typing import Any

from conftest import APPLY, STATUS, AsgiClient, world_with
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from mock_server.core.app import create_app
from mock_server.core.runtime import Runtime
from mock_server.vendors.uphunt.domain.applications import TERMINAL_STATES

ACCOUNTS = [
    "sk_uphunt_demo_key",
    "sk_uphunt_second_key",
    "sk_uphunt_no_credits_key",
    "sk_uphunt_low_connects_key",
    "sk_inv_logged_out",
]
JOB_REFS = [
    "~022053140178050136031",  # hourly
    "https://www.upwork.com/jobs/Senior-Python_~022053140178050136031/",  # same job as a URL
    "0b5e6c7d-8f90-4a1b-b2c3-d4e5f6a7b8c9",  # same job, processed UUID
    "~022052895097657407455",  # fixed price
    "~01abc123def456",  # demo already applied to it (409 for the demo key)
    "~022000000000000000001",  # alias of the same
    "~022040846723050472167",  # closed -> not_available
    "~022055000000000000001",  # not eligible
    "~022055000000000000002",  # closes 30 s after start
    "~01abc",  # alias of ~022055000000000000003
    "~022099999999999999999",  # unknown -> 404
]
PROFILES = [None, None, "1800000000000000003", "1800000000000000010", "nope"]


@functools.cache
def invariant_world():
    return world_with(
        {
            "settings": {"failureRate": 0.2, "pacingSeconds": 3, "rateLimits": {"enabled": False}},
            "agencies": [
                {
                    "id": "agency_inv_out",
                    "connects": 100,
                    "loggedOut": True,
                    "freelancers": [
                        {
                            "id": "~01inv",
                            "name": "Out BD",
                            "isBusinessDeveloper": True,
                            "profiles": [{"id": "1800000000000000099", "name": "General", "isDefault": True}],
                        }
                    ],
                }
            ],
            "accounts": [{"apiKey": "sk_inv_logged_out", "agencyId": "agency_inv_out", "credits": 3}],
        }
    )


@functools.cache
def shared_mock() -> tuple[Runtime, AsgiClient]:
    """One runtime and app for every example; each example starts from ``reset()`` (cheaper than a new app)."""
    rt = Runtime(invariant_world(), clock="manual")
    return rt, AsgiClient(create_app(rt))


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.rt, self.client = shared_mock()
        self.rt.reset()
        self.owner: dict[str, str] = {"queue_abc123": "sk_uphunt_demo_key"}
        self.seen: dict[str, dict[str, Any]] = {}  # queueId -> last status record seen
        self.check_everything()

    def account(self, key: str) -> dict[str, Any]:
        r = self.client.get(f"/_mock/accounts/{key}")
        assert r.status_code == 200
        return r.json()

    @rule(
        key=st.sampled_from(ACCOUNTS),
        job=st.sampled_from(JOB_REFS),
        profile=st.sampled_from(PROFILES),
        boost=st.integers(0, 3),
    )
    def apply(self, key: str, job: str, profile: str | None, boost: int) -> None:
        before = self.account(key)["credits"]
        body: dict[str, Any] = {"jobId": job, "coverLetter": "Hi", "proposal": {"boostBids": boost}}
        if profile is not None:
            body["profileId"] = profile
        r = self.client.post(APPLY, json_body=body, headers={"x-api-key": key})
        after = self.account(key)["credits"]
        assert r.status_code in (200, 402, 404, 409, 422), r.text
        if r.status_code == 200:
            out = r.json()
            assert out["applicationStatus"] == "processing"
            assert out["creditsRemaining"] == before["available"] - 1 == after["available"]
            assert after["reserved"] == before["reserved"] + 1
            assert out["queueId"] not in self.owner
            self.owner[out["queueId"]] = key
        else:
            assert after == before  # a refused apply touches no credit
            if r.status_code == 402:
                assert before["available"] == 0
                assert r.json() == {
                    "error": "Insufficient auto-apply credits",
                    "creditsRemaining": 0,
                    "needsCredits": True,
                }
            if r.status_code == 409:
                assert self.seen.get(r.json()["queueId"], {"applicationStatus": "processing"})["applicationStatus"] in (
                    "processing",
                    "applied",
                )

    @precondition(lambda self: len(self.owner) > 0)
    @rule(data=st.data(), foreign=st.booleans())
    def status(self, data: st.DataObject, foreign: bool) -> None:
        queue_id = data.draw(st.sampled_from(sorted(self.owner)))
        owner = self.owner[queue_id]
        key = data.draw(st.sampled_from([k for k in ACCOUNTS if k != owner])) if foreign else owner
        r = self.client.get(STATUS, params={"queueId": queue_id}, headers={"x-api-key": key})
        if foreign:
            assert (r.status_code, r.json()) == (404, {"error": "Application not found"})
        else:
            assert r.status_code == 200
            self.observe(r.json())

    @rule(seconds=st.sampled_from([0, 0.5, 3, 10, 30, 45, 120]))
    def advance(self, seconds: float) -> None:
        before = self.client.get("/_mock/clock").json()["now"]
        r = self.client.post("/_mock/clock/advance", json_body={"seconds": seconds})
        assert r.status_code == 200
        assert r.json()["now"] == before + round(seconds * 1000)

    @rule(key=st.sampled_from(ACCOUNTS), credits=st.integers(0, 4))
    def top_up(self, key: str, credits: int) -> None:
        before = self.account(key)["credits"]
        r = self.client.put(f"/_mock/accounts/{key}", json_body={"credits": credits})
        assert r.status_code == 200
        c = r.json()["credits"]
        assert c["available"] == credits
        assert (c["reserved"], c["spent"]) == (before["reserved"], before["spent"])

    def observe(self, record: dict[str, Any]) -> None:
        queue_id = record["queueId"]
        previous = self.seen.get(queue_id)
        status = record["applicationStatus"]
        assert status == "processing" or status in TERMINAL_STATES
        if previous is not None and previous["applicationStatus"] != "processing":
            assert record == previous, "a terminal record changed"
        if status == "applied":
            assert record["appliedAt"] is not None and record["errorMessage"] is None
        elif status != "processing":
            assert record["appliedAt"] is None and record["errorMessage"]
        if status != "processing":
            assert record["processedAt"] is not None
        self.seen[queue_id] = record

    @invariant()
    def check_everything(self) -> None:
        state = self.client.get("/_mock/state").json()
        apps = state["applications"]
        processing: dict[str, int] = dict.fromkeys(ACCOUNTS, 0)
        for app in apps:
            record = {
                k: app[k]
                for k in (
                    "jobId",
                    "processedJobId",
                    "applicationStatus",
                    "applicationStatusMessage",
                    "queueId",
                    "appliedAt",
                    "processedAt",
                    "errorMessage",
                )
            }
            self.observe(record)
            if record["applicationStatus"] == "processing":
                processing[self.owner[record["queueId"]]] += 1
        assert set(self.seen) == set(self.owner)
        assert len(state["accounts"]) == len(ACCOUNTS)  # the state masks keys: each ledger is read by its key
        ledgers = {key: self.client.get(f"/_mock/accounts/{key}").json()["credits"] for key in ACCOUNTS}
        for key in ACCOUNTS:
            c = ledgers[key]
            assert c["available"] + c["reserved"] + c["spent"] == c["granted"], (key, c)
            assert min(c.values()) >= 0
            assert c["reserved"] == processing[key], (key, c, processing[key])


LedgerMachine.TestCase.settings = settings(
    max_examples=30,
    stateful_step_count=30,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestLedgerInvariants = LedgerMachine.TestCase
