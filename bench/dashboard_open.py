"""The dashboard's cost to the API: status and apply with the page closed, with an event stream open,
and with the page open in Chromium, measured in one run, interleaved.

    python bench/dashboard_open.py [RUNS]      # prints a table and a JSON line; `make bench` runs it too

Three conditions, on the same mock process (bench world, manual clock), one wrk run each per
round, in rotating order so that a noisy neighbour hurts every condition alike:

* ``closed``: nothing but the load;
* ``stream``: one client reading ``GET /_mock/events`` (what streaming costs the server);
* ``page``: headless Chromium with ``/_mock/ui`` open on the timeline (streaming plus the views
  the page fetches when told that something changed). Chromium is pinned to the load
  generator's core (``BENCH_PAGE_CORE``, default 0; empty: not pinned), so the server's core
  stays the server's and the figure shows what the page costs the *server*; unpinned, on two
  cores, the browser's own rendering competes with the server for the CPU.

Nothing is asserted (benchmarks are not tests); figures are min / median / max.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from run import API_KEY, DURATION, RUNS, mock_server, spread, wrk  # noqa: E402

CONDITIONS = ("closed", "stream", "page")
STATUS_TARGET = "~022053140178050136031"


class StreamReader:
    """A thread reading the mock's event stream and counting the events."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.events = 0
        self.client = httpx.Client(timeout=httpx.Timeout(5.0, read=None))
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.ready = threading.Event()

    def _read(self) -> None:
        try:
            with self.client.stream("GET", self.url) as stream:
                for line in stream.iter_lines():
                    if line.startswith("event: "):
                        self.events += 1
                        self.ready.set()
        except httpx.HTTPError:
            pass  # closed by stop()

    def __enter__(self) -> StreamReader:
        self.thread.start()
        self.ready.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        self.client.close()
        self.thread.join(5)


class OpenPage:
    """Chromium with the dashboard open, counting the page's fetches of the control API."""

    def __init__(self, browser: Any, url: str) -> None:
        self.browser, self.url = browser, url
        self.fetches = 0

    def __enter__(self) -> OpenPage:
        self.context = self.browser.new_context(viewport={"width": 1280, "height": 800})
        page = self.context.new_page()
        page.on("request", self._count)
        page.goto(self.url)
        page.wait_for_selector("#live.on", timeout=10_000)
        self.fetches = 0
        return self

    def _count(self, request: Any) -> None:
        if "/_mock/" in request.url and "/_mock/events" not in request.url:
            self.fetches += 1

    def __exit__(self, *exc: object) -> None:
        self.context.close()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far (Linux /proc), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measured(mock: Any, url: str, conns: int, script: str, env: dict[str, str]) -> dict[str, float]:
    """One wrk run, plus the server's CPU time per request: a figure other load on the machine
    disturbs far less than throughput (it counts only the time the server itself ran)."""
    before = cpu_seconds(mock.proc.pid)
    sample = wrk(url, conns, script, env)
    used = cpu_seconds(mock.proc.pid) - before
    requests = sample["rps"] * float(DURATION.rstrip("s"))
    sample["cpu_us"] = used / requests * 1e6 if requests else 0.0
    return sample


def jobs_file(mock: Any) -> Path:
    from mock_server.core.clock import ManualClock
    from mock_server.vendors.uphunt.world import World

    sim = World.from_file(HERE / "world.yaml").build(ManualClock())
    path = Path(tempfile.mkstemp(suffix=".txt")[1])
    path.write_text("\n".join(j.ciphertext for j in sim.catalogue.jobs if j.is_open(sim.clock.now())))
    return path


def fresh_world(mock: Any) -> str:
    """Reset (fresh jobs and credits) and queue the application the status runs read; returns its queueId."""
    httpx.post(mock.url("/_mock/reset"), timeout=120)  # a reset collects the old (big) world: seconds on a busy machine
    r = httpx.post(
        mock.url("/api/auto-apply-v2/apply"),
        headers={"x-api-key": API_KEY},
        json={"jobId": STATUS_TARGET, "coverLetter": "status target"},
        timeout=60,
    )
    return r.json()["queueId"]


def dashboard_benchmarks(results: dict[str, Any], runs: int = RUNS) -> None:
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    core = os.environ.get("BENCH_PAGE_CORE", "0" if shutil.which("taskset") else "")
    if core:  # a wrapper that pins Chromium (and every process it starts) to one core
        wrapper = Path(tempfile.mkdtemp()) / "chromium"
        wrapper.write_text(f'#!/bin/sh\nexec taskset -c {core} {chromium} "$@"\n')
        wrapper.chmod(0o755)
        chromium = str(wrapper)
    args = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
    out: dict[str, Any] = {}
    with mock_server() as mock, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=args, headless=True)
        jobs = jobs_file(mock)
        env = {"API_KEY": API_KEY, "JOBS_FILE": str(jobs)}
        try:
            for endpoint, script in (("status", "status.lua"), ("apply", "apply.lua")):
                for conns in (1, 50):
                    samples: dict[str, list[dict[str, float]]] = {c: [] for c in CONDITIONS}
                    extras: dict[str, list[int]] = {"stream_events": [], "page_fetches": []}
                    for round_ in range(runs):
                        order = CONDITIONS[round_ % 3 :] + CONDITIONS[: round_ % 3]
                        for condition in order:
                            queue_id = fresh_world(mock)
                            path = (
                                f"/api/auto-apply-v2/status?queueId={queue_id}"
                                if endpoint == "status"
                                else "/api/auto-apply-v2/apply"
                            )
                            if condition == "closed":
                                samples[condition].append(measured(mock, mock.url(path), conns, script, env))
                            elif condition == "stream":
                                with StreamReader(mock.url("/_mock/events")) as reader:
                                    samples[condition].append(measured(mock, mock.url(path), conns, script, env))
                                extras["stream_events"].append(reader.events)
                            else:
                                with OpenPage(browser, mock.url("/_mock/ui#timeline")) as page:
                                    samples[condition].append(measured(mock, mock.url(path), conns, script, env))
                                extras["page_fetches"].append(page.fetches)
                    row = {
                        c: {k: spread([s[k] for s in samples[c]]) for k in ("rps", "p50_ms", "p99_ms", "cpu_us")}
                        for c in CONDITIONS
                    }
                    row["stream_events"] = spread(extras["stream_events"])
                    row["page_fetches"] = spread(extras["page_fetches"])
                    out[f"{endpoint}/{conns}"] = row
                    print(
                        f"bench: dashboard {endpoint}/{conns}: "
                        + ", ".join(f"{c} {row[c]['rps']['median']:,.0f} req/s" for c in CONDITIONS),
                        flush=True,
                    )
        finally:
            browser.close()
            jobs.unlink()
    results["dashboard"] = out
    results["dashboard_meta"] = {"page_core": core or None}


def report_lines(dashboard: dict[str, Any]) -> list[str]:
    """The RESULTS.md section (also printed by this script)."""
    lines = [
        "## With the dashboard open",
        "",
        "Same mock, same run, interleaved rounds: nothing connected (`closed`), one client reading `GET /_mock/events` "
        "(`stream`), and headless Chromium showing `/_mock/ui` (`page`: the stream plus the views the page "
        "fetches; Chromium pinned to the load generator's core). Medians: requests/s and the change against "
        "`closed`; the server's CPU time per request (user + system, from /proc: less disturbed by other load "
        "on the machine than throughput); p99.",
        "",
        "| endpoint | conns | closed req/s | stream req/s | page req/s | server CPU µs/request closed / stream / page "
        "| p99 ms closed / stream / page | events read | page fetches |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for key, row in dashboard.items():
        endpoint, conns = key.split("/")
        closed = row["closed"]["rps"]["median"]

        def cell(c: str, closed: float = closed, row: dict[str, Any] = row) -> str:
            value = row[c]["rps"]["median"]
            return f"{value:,.0f} ({(value / closed - 1) * 100:+.1f}%)" if closed else f"{value:,.0f}"

        p99 = " / ".join(f"{row[c]['p99_ms']['median']:.2f}" for c in CONDITIONS)
        cpu = " / ".join(f"{row[c]['cpu_us']['median']:.0f}" for c in CONDITIONS)
        lines.append(
            f"| {endpoint} | {conns} | {closed:,.0f} | {cell('stream')} | {cell('page')} | {cpu} | {p99} "
            f"| {row['stream_events']['median']:.0f} | {row['page_fetches']['median']:.0f} |"
        )
    return lines


def main() -> int:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else RUNS
    results: dict[str, Any] = {}
    dashboard_benchmarks(results, runs)
    print("\n".join(report_lines(results["dashboard"])))
    print(json.dumps(results["dashboard"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
