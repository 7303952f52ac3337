"""The collector policy of `uphunt-mock serve` (issue 18: the apply tail).

Timings are the benchmark's business (bench/tail.py, bench/RESULTS.md); these tests check
what the policy does to objects, which no machine load can change.
"""

from __future__ import annotations

import asyncio
import gc
import json
import weakref
from collections.abc import Iterator

import pytest
from conftest import APPLY, DEMO, default_world

from mock_server.core import gc_policy
from mock_server.core.app import create_app
from mock_server.core.runtime import Runtime


class Node:
    """A tracked object that can sit in a reference cycle."""

    def __init__(self) -> None:
        self.other: Node | None = None


@pytest.fixture
def policy() -> Iterator[None]:
    gc_policy.install()
    try:
        yield
    finally:
        gc_policy.uninstall()


def test_install_freezes_what_is_alive_and_every_collection_freezes_its_survivors(policy: None) -> None:
    assert gc.get_freeze_count() > 0
    for generation in (0, 1, 2):  # young collections too, as the interpreter runs them by itself
        survivor = Node()
        assert gc.is_tracked(survivor) and any(o is survivor for o in gc.get_objects())
        gc.collect(generation)
        assert not any(o is survivor for o in gc.get_objects()), f"generation {generation}: survivors are frozen"
        assert gc.get_count()[0] < 10  # nothing left for the next collection to walk again


def test_a_collection_walks_only_what_was_allocated_since_the_previous_one(policy: None) -> None:
    kept = [Node() for _ in range(5000)]  # state a mock accumulates: reachable, tracked
    gc.collect(0)
    walked: list[int] = []

    def count(phase: str, info: dict[str, object]) -> None:
        if phase == "start":
            walked.append(len(gc.get_objects(0)) + len(gc.get_objects(1)) + len(gc.get_objects(2)))

    gc.callbacks.insert(0, count)
    try:
        fresh = [Node() for _ in range(10)]
        gc.collect(2)  # even a full collection
    finally:
        gc.callbacks.remove(count)
    assert len(kept) == 5000 and fresh
    assert walked and walked[0] < 100, f"a full collection walked {walked[0]} objects: the state was not frozen"


def test_uninstall_hands_the_frozen_objects_back() -> None:
    gc_policy.install()
    gc_policy.uninstall()
    assert gc.get_freeze_count() == 0
    assert gc_policy._freeze_after_collection not in gc.callbacks


def test_cyclic_garbage_that_was_frozen_is_freed_by_the_next_reset_collection(policy: None) -> None:
    a, b = Node(), Node()
    a.other, b.other = b, a
    gone = weakref.ref(a)
    gc.collect()  # frozen while alive
    del a, b
    gc.collect()
    assert gone() is not None, "frozen: the collector no longer looks at it"
    gc_policy.collect_and_freeze()  # what POST /_mock/reset runs
    assert gone() is None


def test_an_application_in_progress_leaves_three_objects_for_the_collector() -> None:
    """Application + its pickup and completion events; no closure, cell or list per application.

    A full collection walks every tracked object: with 11 per application (before issue 18),
    100,000 applications made a 270 ms pause.
    """
    rt = Runtime(default_world(), clock="manual", journal_capacity=0)
    rt.recorder.capacity = 0  # the journal and the input log keep per-request records (bounded): not counted here
    applied = {a.job_id for a in rt.sim.applications.values()}
    jobs = [j.ciphertext for j in rt.sim.catalogue.jobs if j.is_open(rt.clock.now()) and j.ciphertext not in applied]
    assert len(jobs) >= 8
    preseeded = len(rt.sim.applications)
    app = create_app(rt)
    grown = 0

    async def apply(job: str) -> None:
        """One apply straight through the ASGI app, in this thread: no server, no publisher task
        (a TestClient's portal thread allocates concurrently and made this count flaky)."""
        body = json.dumps({"jobId": job, "coverLetter": "Hi"}).encode()
        scope = {
            "type": "http",
            "method": "POST",
            "path": APPLY,
            "raw_path": APPLY.encode(),
            "query_string": b"",
            "headers": [(b"x-api-key", DEMO["x-api-key"].encode()), (b"content-type", b"application/json")],
            "http_version": "1.1",
        }
        sent: list[dict[str, object]] = []

        async def receive() -> dict[str, object]:
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: dict[str, object]) -> None:
            sent.append(message)

        scope["headers"].append((b"content-length", str(len(body)).encode()))  # type: ignore[attr-defined]
        await app(scope, receive, send)
        assert sent[0]["status"] == 200, sent

    async def measure() -> None:
        nonlocal grown
        await apply(jobs[0])  # first-request allocations (caches, the account's list) out of the count
        gc.collect()
        before = len(gc.get_objects()) + gc.get_freeze_count()
        for job in jobs[1:8]:
            await apply(job)
        gc.collect()
        grown = len(gc.get_objects()) + gc.get_freeze_count() - before

    asyncio.run(measure())
    assert len(rt.sim.applications) == preseeded + 8 and rt.sim.processing == 8
    assert grown <= 7 * 3, f"{grown} tracked objects for 7 applications"
