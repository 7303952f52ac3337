"""Regression tests for bugs found in the simulator core while writing the issue 2/3 tests."""

from __future__ import annotations

import pytest
from conftest import APPLIED_JOBS, APPLY, DEMO, DEMO_KEY, STATUS, AsgiClient, world_with

from mock_server.core.app import create_app
from mock_server.core.runtime import Runtime
from mock_server.core.yaml_source import SourceError
from mock_server.vendors.uphunt.world import World

JOB = "~022053140178050136031"


def mock(overlay: dict | None = None) -> tuple[Runtime, AsgiClient]:
    rt = Runtime(world_with(overlay or {}), clock="manual")
    return rt, AsgiClient(create_app(rt))


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (
            b'{"jobId": "~01abc", "coverLetter": "\\udc00 hi"}',
            "malformed JSON body: a string contains a lone UTF-16 surrogate",
        ),
        (
            b'{"jobId": "~01abc", "coverLetter": "hi", "\\ud800": 1}',
            "malformed JSON body: a string contains a lone UTF-16 surrogate",
        ),
        (
            b'{"jobId": "~01abc", "coverLetter": "hi", "proposal": {"fixedBid": -Infinity}}',
            "malformed JSON body: -Infinity is not valid JSON",
        ),
        (
            b'{"jobId": "~01abc", "coverLetter": "hi", "proposal": {"fixedBid": -1e999}}',
            "malformed JSON body: number -1e999 is out of range",
        ),
    ],
)
def test_non_json_input_is_400_and_leaves_every_later_response_valid(raw: bytes, message: str) -> None:
    """A lone surrogate used to be accepted and then break every response that echoed it (500)."""
    _rt, client = mock()
    r = client.post(APPLY, content=raw, headers={**DEMO, "content-type": "application/json"})
    assert (r.status_code, r.json()) == (400, {"error": message})
    assert client.get(APPLIED_JOBS, headers=DEMO).status_code == 200
    journal = client.get("/_mock/requests")
    assert journal.status_code == 200
    assert [e["status"] for e in journal.json()["requests"]] == [400, 200]  # the refused apply, the listing


def test_state_timestamps_agree_with_status_records_to_the_millisecond() -> None:
    """/_mock/state truncated pickupAt while status records round processedAt (off by 1 ms)."""
    rt, client = mock()
    queued = client.post(APPLY, json_body={"jobId": JOB, "coverLetter": "Hi"}, headers=DEMO).json()
    client.post("/_mock/clock/advance", json_body={"seconds": 400})
    state = next(a for a in client.get("/_mock/state").json()["applications"] if a["queueId"] == queued["queueId"])
    status = client.get(STATUS, params={"queueId": queued["queueId"]}, headers=DEMO).json()
    app = rt.sim.applications[queued["queueId"]]
    assert state["pickupAt"] == status["processedAt"] == round(app.pickup_at * 1000)
    assert state["completesAt"] == status["appliedAt"] == round(app.completes_at * 1000)
    assert state["createdAt"] == 1_767_225_600_000


def test_preseeded_applications_are_listed_by_creation_time_and_the_newest_is_the_latest() -> None:
    """World files may list applications in any order; listings used to follow the file order."""
    _rt, client = mock(
        {
            "applications": [
                {
                    "queueId": "queue_recent",
                    "apiKey": DEMO_KEY,
                    "jobId": JOB,
                    "status": "failed",
                    "createdSecondsAgo": 100,
                    "processedSecondsAgo": 90,
                    "appliedSecondsAgo": 60,
                },
                {
                    "queueId": "queue_old",
                    "apiKey": DEMO_KEY,
                    "jobId": JOB,
                    "status": "applied",
                    "createdSecondsAgo": 5000,
                    "processedSecondsAgo": 4990,
                    "appliedSecondsAgo": 4950,
                },
            ]
        }
    )
    rows = client.get(APPLIED_JOBS, headers=DEMO).json()["jobs"]
    assert [r["queueId"] for r in rows] == ["queue_abc123", "queue_recent", "queue_old"]  # 50 s, 100 s, 5000 s ago
    assert client.get(STATUS, params={"jobId": JOB}, headers=DEMO).json()["queueId"] == "queue_recent"
    # the latest application for the job ended in a refunded state: a new apply is allowed
    again = client.post(APPLY, json_body={"jobId": JOB, "coverLetter": "Hi"}, headers=DEMO)
    assert again.status_code == 200
    assert client.get(APPLIED_JOBS, headers=DEMO).json()["jobs"][0]["queueId"] == again.json()["queueId"]


@pytest.mark.parametrize(
    ("job", "key", "expected"),
    [
        ("~022040846723050472167", "sk_out_demo", "not_available"),  # closed beats logged out
        ("~022055000000000000001", "sk_out_demo", "not_eligible"),  # eligibility beats logged out
        ("~022052895097657407455", "sk_out_poor", "not_enough_connects"),  # Connects beat logged out
        (JOB, "sk_out_demo", "logged_out"),
    ],
)
def test_outcome_order_puts_logged_out_after_closed_eligibility_and_connects(job: str, key: str, expected: str) -> None:
    profile = {"id": "1800000000000000077", "name": "General", "isDefault": True}
    bd = {
        "id": "~01out",
        "name": "BD",
        "country": "USA",
        "jobSuccessScore": 95,
        "isBusinessDeveloper": True,
        "profiles": [profile],
    }
    _rt, client = mock(
        {
            "agencies": [
                {"id": "agency_out", "connects": 500, "loggedOut": True, "freelancers": [bd]},
                {
                    "id": "agency_out_poor",
                    "connects": 1,
                    "loggedOut": True,
                    "freelancers": [{**bd, "id": "~01outpoor", "profiles": [{**profile, "id": "1800000000000000078"}]}],
                },
            ],
            "accounts": [
                {"apiKey": "sk_out_demo", "agencyId": "agency_out", "credits": 5},
                {"apiKey": "sk_out_poor", "agencyId": "agency_out_poor", "credits": 5},
            ],
        }
    )
    queued = client.post(APPLY, json_body={"jobId": job, "coverLetter": "Hi"}, headers={"x-api-key": key})
    assert queued.status_code == 200, queued.text
    client.post("/_mock/clock/advance", json_body={"seconds": 600})
    status = client.get(STATUS, params={"queueId": queued.json()["queueId"]}, headers={"x-api-key": key}).json()
    assert status["applicationStatus"] == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "seed: 3\naccounts:\n  - apiKey: k\n    agencyId: nowhere\n",
            ":4: account 'k' names unknown agency 'nowhere'",
        ),
        (
            "applications:\n  - queueId: q1\n    apiKey: nobody\n    jobId: '~01abc'\n    status: applied\n",
            ":3: application 'q1' names unknown apiKey",
        ),
        (
            "applications:\n  - queueId: q1\n    apiKey: sk_uphunt_demo_key\n    jobId: '~02nope'\n    status: applied\n",
            ":4: application 'q1' names unknown job",
        ),
    ],
)
def test_world_reference_errors_name_the_line(tmp_path, text: str, expected: str) -> None:
    """Cross-reference errors used to name the file only (no line)."""
    path = tmp_path / "world.yaml"
    path.write_text(text)
    with pytest.raises(SourceError) as info:
        World.from_file(path)
    assert str(info.value) == f"{path}{expected}"
