"""Every ready-made file in scenarios/ loads and produces the effect docs/guide/scenarios.md claims.

Driven through the HTTP API on the manual clock; plus the CLI (`serve --scenario`) in a subprocess.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from conftest import APPLY, DEMO, DEMO_KEY, STATUS
from starlette.testclient import TestClient

from mock_server.core.app import create_app
from mock_server.core.runtime import Runtime

ROOT = Path(__file__).resolve().parent.parent
LIBRARY = ROOT / "scenarios"
JOB_A = "~022055000000000000003"
JOB_B = "~022053140178050136031"
NOT_ELIGIBLE_JOB = "~022055000000000000001"  # needs an AUS freelancer; the demo agency's default is USA

TESTS: dict[str, Callable[[Runtime, TestClient], None]] = {}


def effect(name: str) -> Callable[[Callable[[Runtime, TestClient], None]], Callable[[Runtime, TestClient], None]]:
    def register(fn: Callable[[Runtime, TestClient], None]) -> Callable[[Runtime, TestClient], None]:
        TESTS[name] = fn
        return fn

    return register


def apply(c: TestClient, job: str = JOB_A) -> httpx.Response:
    return c.post(APPLY, headers=DEMO, json={"jobId": job, "coverLetter": "Hello"})


def status_of(c: TestClient, job: str = JOB_A) -> dict:
    return c.get(STATUS, params={"jobId": job}, headers=DEMO).json()


def advance(c: TestClient, seconds: float) -> None:
    assert c.post("/_mock/clock/advance", json={"seconds": seconds}).status_code == 200


def credits(c: TestClient) -> dict:
    return c.get(f"/_mock/accounts/{DEMO_KEY}").json()["credits"]


@effect("happy-path")
def _happy(rt: Runtime, c: TestClient) -> None:
    assert apply(c, JOB_A).status_code == 200 and apply(c, NOT_ELIGIBLE_JOB).status_code == 200
    advance(c, 600)
    assert status_of(c, JOB_A)["applicationStatus"] == "applied"
    assert status_of(c, NOT_ELIGIBLE_JOB)["applicationStatus"] == "applied"  # forced, though not eligible


@effect("out-of-credits")
def _credits(rt: Runtime, c: TestClient) -> None:
    r = apply(c)
    assert r.status_code == 402
    assert r.json() == {"error": "Insufficient auto-apply credits", "creditsRemaining": 0, "needsCredits": True}
    assert c.put(f"/_mock/accounts/{DEMO_KEY}", json={"credits": 5}).status_code == 200
    assert apply(c).status_code == 200 and apply(c, JOB_B).json()["creditsRemaining"] == 3


@effect("out-of-connects")
def _connects(rt: Runtime, c: TestClient) -> None:
    assert apply(c).status_code == 200
    assert credits(c)["reserved"] == 1
    advance(c, 600)
    record = status_of(c)
    assert record["applicationStatus"] == "not_enough_connects"
    assert credits(c) == {"available": 100, "reserved": 0, "spent": 1, "granted": 101}  # refunded
    c.put(f"/_mock/accounts/{DEMO_KEY}", json={"connects": 100})
    assert apply(c).status_code == 200
    advance(c, 600)
    assert status_of(c)["applicationStatus"] == "applied"


@effect("logged-out-then-recovers")
def _logged_out(rt: Runtime, c: TestClient) -> None:
    apply(c, JOB_A), apply(c, JOB_B)
    advance(c, 600)
    assert [status_of(c, j)["applicationStatus"] for j in (JOB_A, JOB_B)] == ["logged_out", "logged_out"]
    assert credits(c)["available"] == 100  # both refunded
    apply(c, JOB_A), apply(c, JOB_B)
    advance(c, 600)
    assert [status_of(c, j)["applicationStatus"] for j in (JOB_A, JOB_B)] == ["applied", "applied"]
    assert c.get("/_mock/scenarios").json()["scenarios"][0]["state"] == {JOB_A: "done", JOB_B: "done"}


@effect("job-closed-midway")
def _closed(rt: Runtime, c: TestClient) -> None:
    assert apply(c).status_code == 200
    advance(c, 10)
    assert status_of(c)["applicationStatus"] == "processing"
    assert rt.sim.catalogue.resolve(JOB_A).closed_at == rt.clock.now()
    advance(c, 600)
    assert status_of(c)["applicationStatus"] == "not_available"
    assert credits(c)["available"] == 100


@effect("rate-limited")
def _rate(rt: Runtime, c: TestClient) -> None:
    r = apply(c)
    assert r.status_code == 429 and r.headers["retry-after"] == "20" and r.headers["x-ratelimit-remaining"] == "0"
    assert r.json()["retryAfter"] == 20 and r.json()["window"] == "minute"
    advance(c, 15)
    assert apply(c).headers["retry-after"] == "5"  # Retry-After counts down to the end of the burst
    advance(c, 5)
    assert apply(c).status_code == 200
    assert c.get(STATUS, params={"jobId": JOB_A}, headers=DEMO).status_code == 200
    advance(c, 100)  # t = 120 s: the next burst
    assert c.get(STATUS, params={"jobId": JOB_A}, headers=DEMO).status_code == 429
    assert len([a for a in rt.sim.applications.values() if a.job_id == JOB_A]) == 1  # 429s had no side effect


@effect("flaky-upstream")
def _flaky(rt: Runtime, c: TestClient) -> None:
    applies = [apply(c) for _ in range(4)]
    assert [r.status_code for r in applies] == [503, 503, 503, 200]
    assert applies[0].headers["retry-after"] == "5" and applies[0].json() == {
        "error": "Upwork is unavailable, retry in a minute"
    }
    polls = [c.get(STATUS, params={"jobId": JOB_A}, headers=DEMO).status_code for _ in range(4)]
    assert polls == [200, 503, 503, 200]
    assert credits(c)["reserved"] == 1


@effect("server-errors")
def _server_errors(rt: Runtime, c: TestClient) -> None:
    for job in (JOB_A, JOB_B):
        first = apply(c, job)
        assert (first.status_code, first.json()) == (500, {"error": "Internal server error"})
        assert apply(c, job).status_code == 200
    gen = "/api/auto-apply-v2/generate-proposal"
    assert [c.post(gen, headers=DEMO, json={"jobId": JOB_A}).status_code for _ in range(2)] == [500, 200]
    assert credits(c)["reserved"] == 2  # one per job: the 500s reserved nothing


@effect("slow-tail")
def _slow(rt: Runtime, c: TestClient) -> None:
    now = rt.clock.now()
    taken = {a.job_id for a in rt.sim.applications.values()}
    jobs = [
        j.ciphertext
        for j in rt.sim.catalogue.jobs
        if j.is_open(now + 3600) and j.ciphertext not in taken and not j.requirements.failures("USA", 100)
    ][:12]
    assert len(jobs) == 12 and all(apply(c, j).status_code == 200 for j in jobs)
    durations = [(a.completes_at - a.created_at) for a in rt.sim.applications.values() if a.job_id in jobs]
    assert all(200 <= d <= 420 + 90 for d in durations)  # submission 200-420 s, plus pickup and agency pacing
    advance(c, 300)  # the 5-minute polling cut-off
    states = [status_of(c, j)["applicationStatus"] for j in jobs]
    assert 4 <= states.count("processing") <= 10  # a good share is still running at 5 minutes (8 of 12 today)
    advance(c, 600)
    assert {status_of(c, j)["applicationStatus"] for j in jobs} == {"applied"}


def chaos_run() -> tuple[list[int], dict[str, int]]:
    rt = Runtime(clock="manual")
    rt.scenarios.load_file(LIBRARY / "chaos.yaml")
    with TestClient(create_app(rt)) as c:
        for _ in range(90):
            c.get("/api/auto-apply-v2/status", params={"jobId": "~01abc123def456"}, headers=DEMO)
        now = rt.clock.now()
        for key in (DEMO_KEY, "sk_uphunt_second_key"):
            for job in [j.ciphertext for j in rt.sim.catalogue.jobs if j.is_open(now)][1:26]:
                c.post(APPLY, headers={"x-api-key": key}, json={"jobId": job, "coverLetter": "Hello"})
        advance(c, 900)
    return [e["status"] for e in rt.journal.as_list()], rt.sim.states_count()


@effect("chaos")
def _chaos(rt: Runtime, c: TestClient) -> None:
    first, again = chaos_run(), chaos_run()
    assert first == again  # same seed, same requests: same answers and outcomes
    statuses, outcomes = first
    assert {0, 200, 429, 500, 503} <= set(statuses)  # 0 = dropped connection
    assert statuses.count(200) > len(statuses) // 2
    assert outcomes["failed"] >= 1 and outcomes["logged_out"] >= 1 and outcomes["applied"] >= 10


def test_every_library_file_has_an_effect_test() -> None:
    assert sorted(p.stem for p in LIBRARY.glob("*.yaml")) == sorted(TESTS)


@pytest.mark.parametrize("name", sorted(TESTS))
def test_library_file(name: str) -> None:
    rt = Runtime(clock="manual")
    loaded = rt.scenarios.load_file(LIBRARY / f"{name}.yaml")
    assert loaded["name"] == name and loaded["description"]
    with TestClient(create_app(rt)) as c:
        TESTS[name](rt, c)


# ── the CLI ─────────────────────────────────────────────────────────────


@pytest.fixture
def served() -> Iterator[Callable[..., tuple[subprocess.Popen[str], str]]]:
    procs: list[subprocess.Popen[str]] = []

    def start(*args: str) -> tuple[subprocess.Popen[str], str]:
        proc = subprocess.Popen(
            [sys.executable, "-m", "mock_server", "serve", "--port", "0", *args],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        procs.append(proc)
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(3)]
        match = re.search(r"http://127\.0\.0\.1:\d+", lines[0])
        assert match, lines
        lines.append(proc.stdout.readline())
        deadline = time.monotonic() + 10  # the banner is printed just before uvicorn starts listening
        while time.monotonic() < deadline:
            try:
                if httpx.get(match.group(0) + "/_mock/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.05)
        return proc, match.group(0) + "\n" + "".join(lines)

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def test_cli_serve_with_out_of_connects_shows_the_documented_outcome(served) -> None:
    proc, out = served("--clock", "manual", "--scenario", "scenarios/out-of-connects.yaml")
    base, banner = out.split("\n", 1)
    assert "scenario: out-of-connects (scenarios/out-of-connects.yaml, 1 rule(s))" in banner
    with httpx.Client(base_url=base, timeout=5) as http:
        r = http.post(APPLY, headers=DEMO, json={"jobId": JOB_A, "coverLetter": "Hello"})
        assert r.status_code == 200
        http.post("/_mock/clock/advance", json={"seconds": 600})
        assert (
            http.get(STATUS, params={"jobId": JOB_A}, headers=DEMO).json()["applicationStatus"] == "not_enough_connects"
        )
        assert http.get(f"/_mock/accounts/{DEMO_KEY}").json()["credits"]["reserved"] == 0
        journal = http.get("/_mock/requests", params={"operationId": "applyToJob"}).json()["requests"]
        assert [(e["status"], e["matchedRule"]) for e in journal] == [(200, "out-of-connects/0")]


def test_cli_bad_scenario_file_exits_2_with_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "name: bad\nrules:\n  - match: {operationId: applyToJob}\n    respond: {status: 429, retryAftr: 3}\n"
    )
    done = subprocess.run(
        [sys.executable, "-m", "mock_server", "serve", "--port", "0", "--scenario", str(bad)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 2
    assert f"{bad}:4: rules[0].respond: unknown key(s): 'retryAftr'" in done.stderr
