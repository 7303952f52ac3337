"""The collector policy of `uphunt-mock serve` (issue 18: the apply tail).

Timings are the benchmark's business (bench/tail.py, bench/RESULTS.md); these tests check
what the policy does to objects, which no machine load can change.
"""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest
from conftest import APPLY, DEMO, default_world
from starlette.testclient import TestClient

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


def test_install_freezes_what_is_alive_and_collects_at_most_every_other_young_collection(policy: None) -> None:
    assert gc.get_freeze_count() > 0
    assert gc.get_threshold()[2] == gc_policy.FULL_COLLECTION_THRESHOLD == 1
    survivor = Node()
    assert gc.is_tracked(survivor) and any(o is survivor for o in gc.get_objects())
    gc.collect()  # a full collection, as the interpreter runs them by itself
    assert not any(o is survivor for o in gc.get_objects()), "a full collection's survivors are frozen"


def test_uninstall_hands_the_frozen_objects_back() -> None:
    gc_policy.install()
    gc_policy.uninstall()
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold()[2] == 10


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
    with TestClient(create_app(rt)) as client:

        def apply(job: str) -> None:
            body = {"jobId": job, "coverLetter": "Hi"}
            assert client.post(APPLY, headers=DEMO, json=body).status_code == 200

        apply(jobs[0])  # first-request allocations (caches, the account's list) out of the count
        gc.collect()
        before = len(gc.get_objects()) + gc.get_freeze_count()
        for job in jobs[1:8]:
            apply(job)
        gc.collect()
        grown = len(gc.get_objects()) + gc.get_freeze_count() - before
    assert len(rt.sim.applications) == preseeded + 8 and rt.sim.processing == 8
    assert grown <= 7 * 3, f"{grown} tracked objects for 7 applications"
