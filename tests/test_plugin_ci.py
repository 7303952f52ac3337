"""The pytest plugin's CI helpers (issue 16): the webhook receiver fixture, the journal in failure
reports, time patching for clients that cannot be handed a clock (tenacity, asyncio), the async
handle, and the TypedDicts of what the handle returns."""

from __future__ import annotations

import asyncio
import time
import typing

import httpx
import pytest
import tenacity

from mock_server.testing import AsyncUpHuntMock, UpHuntMock, WebhookReceiver
from mock_server.testing.shapes import Account, Delivery

pytest_plugins = ["pytester"]

JOB = "~022053140178050136031"
APPLY = "/api/auto-apply-v2/apply"
STATUS = "/api/auto-apply-v2/status"


def apply(mock: UpHuntMock, job: str = JOB) -> str:
    r = httpx.post(mock.base_url + APPLY, headers=mock.headers, json={"jobId": job, "coverLetter": "Hi"})
    assert r.status_code == 200, r.text
    return r.json()["queueId"]


# ── the receiver fixture ─────────────────────────────────────────────────────


def test_the_receiver_gets_each_event_with_its_delivery_id(
    uphunt_mock: UpHuntMock, uphunt_mock_webhooks: WebhookReceiver
) -> None:
    assert uphunt_mock.account()["webhookUrl"] == uphunt_mock_webhooks.url
    queue = apply(uphunt_mock)
    uphunt_mock.settle()
    (event,) = uphunt_mock_webhooks.events
    (delivery,) = uphunt_mock.deliveries
    assert event.delivery_id == delivery["deliveryId"] and event.event_type == "application.applied"
    assert event.body["data"]["queueId"] == queue and event.answer == 204
    assert uphunt_mock_webhooks.duplicates == {}


def test_fail_next_answers_500_or_closes_then_recovers(
    uphunt_mock: UpHuntMock, uphunt_mock_webhooks: WebhookReceiver
) -> None:
    uphunt_mock_webhooks.fail_next(1, "500")
    uphunt_mock_webhooks.fail_next(1, "close")
    apply(uphunt_mock)
    uphunt_mock.settle()
    uphunt_mock.advance(10 + 20)  # the retries (10 s, then 20 s after)
    (delivery,) = uphunt_mock.deliveries
    assert [(a["status"], a["error"]) for a in delivery["attempts"]] == [
        (500, None),
        (None, "RemoteProtocolError: Server disconnected without sending a response."),
        (204, None),
    ]
    assert [r.answer for r in uphunt_mock_webhooks.requests] == [500, "close", 204]
    assert uphunt_mock_webhooks.delivery_ids == [delivery["deliveryId"]]  # accepted once


@pytest.mark.uphunt_mock(world="plugin_ci_short_timeout.yaml")
def test_fail_next_timeout_holds_the_request_until_the_mock_gives_up(
    uphunt_mock: UpHuntMock, uphunt_mock_webhooks: WebhookReceiver
) -> None:
    uphunt_mock_webhooks.fail_next(1, "timeout")
    apply(uphunt_mock)
    uphunt_mock.settle()
    uphunt_mock.advance(10)
    (delivery,) = uphunt_mock.deliveries
    assert [(a["status"], a["error"]) for a in delivery["attempts"]] == [(None, "timeout after 0.3 s"), (204, None)]
    assert [r.answer for r in uphunt_mock_webhooks.requests] == ["timeout", 204]


def test_duplicates_are_counted_by_delivery_id(uphunt_mock: UpHuntMock, uphunt_mock_webhooks: WebhookReceiver) -> None:
    uphunt_mock.load_scenario({"name": "twice", "rules": [{"trigger": "webhook", "webhook": {"duplicates": 1}}]})
    apply(uphunt_mock)
    uphunt_mock.settle()
    (delivery_id,) = {d["deliveryId"] for d in uphunt_mock.deliveries}
    assert uphunt_mock_webhooks.duplicates == {delivery_id: 2}


# ── the journal in the report of a failing test ──────────────────────────────

FAILING = """
import httpx

def test_fails_after_two_requests(uphunt_mock):
    headers = uphunt_mock.headers
    httpx.post(uphunt_mock.base_url + "/api/auto-apply-v2/apply", headers=headers,
               json={"jobId": "~022053140178050136031", "coverLetter": "Hi"})
    uphunt_mock.advance(12.5)
    httpx.get(uphunt_mock.base_url + "/api/auto-apply-v2/status", headers=headers, params={"jobId": "~0nope"})
    assert False, "the client gave up"

def test_passes(uphunt_mock):
    httpx.get(uphunt_mock.base_url + "/api/auto-apply-v2/freelancers", headers=uphunt_mock.headers)

def test_fails_without_the_mock():
    assert False
"""


def test_a_failing_test_that_used_the_mock_shows_its_journal(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_user=FAILING)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-p", "no:schemathesis")
    result.assert_outcomes(passed=1, failed=2)
    out = result.stdout.str()
    assert out.count(" uphunt-mock journal ") == 1  # the failing test that used the mock, only
    result.stdout.re_match_lines(
        [
            r"-+ uphunt-mock journal -+",
            r"2 request\(s\); times are simulated seconds after the first \(1767225600\.000\)",
            r"  \+    0\.000 s  applyToJob\s+POST /api/auto-apply-v2/apply ~022053140178050136031 -> 200",
            r"  \+   12\.500 s  getApplicationStatus\s+GET /api/auto-apply-v2/status ~0nope -> 404",
        ]
    )


# ── time patching: tenacity and asyncio clients on the manual clock ──────────


@tenacity.retry(
    wait=tenacity.wait_fixed(30),
    stop=tenacity.stop_after_delay(100),
    reraise=True,
    retry=tenacity.retry_if_exception_type(httpx.HTTPStatusError),
)
def apply_with_tenacity(base_url: str, headers: dict[str, str]) -> str:
    r = httpx.post(base_url + APPLY, headers=headers, json={"jobId": JOB, "coverLetter": "Hi"})
    r.raise_for_status()
    return r.json()["queueId"]


def test_tenacity_waits_run_on_the_mock_clock(uphunt_mock: UpHuntMock, monkeypatch: pytest.MonkeyPatch) -> None:
    uphunt_mock.load_scenario(
        {
            "name": "two-503",
            "rules": [{"match": {"operationId": "applyToJob", "nth": [1, 2]}, "respond": {"status": 503}}],
        }
    )
    uphunt_mock.patch_time(monkeypatch)
    started = time.perf_counter()
    assert time.time() == time.monotonic() == 1_767_225_600.0  # the mock's clock
    apply_with_tenacity(uphunt_mock.base_url, uphunt_mock.headers)
    applies = uphunt_mock.requests.for_operation("applyToJob")
    assert applies.statuses == [503, 503, 200]
    assert applies.gaps() == [30.0, 30.0]  # tenacity's wait_fixed(30), in simulated seconds
    assert time.time() == 1_767_225_660.0
    assert time.perf_counter() - started < 30  # and not in real ones (a loose bound: no real wait happened)


def test_tenacity_gives_up_on_simulated_time(uphunt_mock: UpHuntMock, monkeypatch: pytest.MonkeyPatch) -> None:
    uphunt_mock.load_scenario(
        {"name": "always-503", "rules": [{"match": {"operationId": "applyToJob"}, "respond": {"status": 503}}]}
    )
    uphunt_mock.patch_time(monkeypatch)
    with pytest.raises(httpx.HTTPStatusError):
        apply_with_tenacity(uphunt_mock.base_url, uphunt_mock.headers)
    # stop_after_delay(100): attempts at 0, 30, 60, 90 and 120 s (the first at or past 100 s stops it)
    assert uphunt_mock.requests.for_operation("applyToJob").gaps() == [30.0, 30.0, 30.0, 30.0]


async def poll_until_done(base_url: str, headers: dict[str, str]) -> tuple[str, int]:
    """A plain asyncio client: apply, then poll every 5 s with asyncio.sleep."""
    async with httpx.AsyncClient(base_url=base_url, headers=headers) as http:
        queue = (await http.post(APPLY, json={"jobId": JOB, "coverLetter": "Hi"})).json()["queueId"]
        for polls in range(1, 100):
            await asyncio.sleep(5)
            record = (await http.get(STATUS, params={"queueId": queue})).json()
            if record["applicationStatus"] != "processing":
                return record["applicationStatus"], polls
    raise AssertionError("never finished")


def test_an_asyncio_client_sleeps_on_the_mock_clock(uphunt_mock: UpHuntMock, monkeypatch: pytest.MonkeyPatch) -> None:
    uphunt_mock.patch_time(monkeypatch)
    status, polls = asyncio.run(poll_until_done(uphunt_mock.base_url, uphunt_mock.headers))
    assert status == "applied"
    assert set(uphunt_mock.requests.for_operation("getApplicationStatus").gaps()) == {5.0}
    assert len(uphunt_mock.requests.for_operation("getApplicationStatus")) == polls


def test_patch_time_leaves_other_threads_and_the_end_of_the_block_alone(uphunt_mock: UpHuntMock) -> None:
    seen: dict[str, float] = {}
    with uphunt_mock.patch_time():
        import threading

        worker = threading.Thread(target=lambda: seen.setdefault("other", time.time()))
        worker.start()
        worker.join(5)
        seen["mine"] = time.time()
        time.sleep(42)
    assert seen["mine"] == 1_767_225_600.0 and seen["other"] > 1_767_225_600.0 + 1e6  # real time there
    assert uphunt_mock.time() == 1_767_225_642.0
    assert time.time() > 1_767_225_600.0 + 1e6  # restored


# ── the async handle ─────────────────────────────────────────────────────────


def test_the_async_handle_drives_the_same_mock(uphunt_mock: UpHuntMock) -> None:
    async def scenario() -> tuple[Account, list[Delivery], float]:
        async with uphunt_mock.aio() as amock:
            assert isinstance(amock, AsyncUpHuntMock) and amock.monotonic() == 1_767_225_600.0
            async with amock.client() as http:
                assert (await http.post(APPLY, json={"jobId": JOB, "coverLetter": "Hi"})).status_code == 200
            await amock.settle()
            journal = await amock.requests()
            assert journal.statuses == [200]
            return await amock.account(), await amock.deliveries(), await amock.time()

    account, deliveries, now = asyncio.run(scenario())
    assert account["credits"]["spent"] == 2 and deliveries == []
    assert uphunt_mock.time() == now > 1_767_225_600.0


def test_the_shapes_are_typed_dicts_matching_the_answers(uphunt_mock: UpHuntMock) -> None:
    account = uphunt_mock.account()
    assert set(account) == set(typing.get_type_hints(Account))
    assert typing.get_type_hints(UpHuntMock.account)["return"] is Account
    assert typing.get_type_hints(Delivery)["attempts"].__origin__ is list


def test_the_readme_receiver_example(uphunt_mock: UpHuntMock, uphunt_mock_webhooks: WebhookReceiver) -> None:
    """README "Testing your client": the same steps, with an apply in place of the user's client."""
    uphunt_mock.load_scenario({"name": "twice", "rules": [{"trigger": "webhook", "webhook": {"duplicates": 1}}]})
    uphunt_mock_webhooks.fail_next(1, "500")
    apply(uphunt_mock)
    uphunt_mock.settle()
    uphunt_mock.advance(10)
    assert len(uphunt_mock_webhooks.duplicates) == 1
    assert [e.answer for e in uphunt_mock_webhooks.requests] == [500, 204, 204]
