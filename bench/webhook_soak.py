"""A bounded webhook soak: 5,000 applications whose webhooks go to a healthy, a slow and a hanging receiver.

    python bench/webhook_soak.py [--applications 5000] [--window 60]

Issue 13 found the dispatcher collapsing at a few hundred simultaneous deliveries (80% false
failures to a healthy receiver, one hanging receiver starving the others, the API's status p99
at 4.6-6.5 s). This measures, on 127.0.0.1 only, with every phase bounded in count and time:

* ``baseline``: the applications with no webhook URL; the status p99 of a probe that polls
  ``GET /api/auto-apply-v2/status`` every 20 ms while they settle;
* ``hanging``: the same number of applications, every webhook to a receiver that never answers in time;
* ``mixed``: the same number of applications, a third each to a healthy receiver (204 at once),
  a slow one (2 s, under the 5 s timeout) and a hanging one (never answers in time), all at once;
  the probe's p99 over the window, then per receiver: delivered / failed / pending deliveries,
  requests the receiver saw and how many delivery ids it saw more than once;
* ``healthy``: all of them to the healthy receiver: delivered, and whether each arrived once.

The mock is a separate process (``uphunt-mock serve --clock scale=0.01``), the receivers another;
both are stopped at the end. The figures go to a section of bench/RESULTS.md (other sections are
left alone). Nothing here is a test: it reports, it does not assert.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SECTION = "## Webhook soak (bench/webhook_soak.py)"
JOB = "~022053140178050136031"
SLOW_SECONDS = 2.0
HANG_SECONDS = 120.0  # the mock gives up after its 5 s timeout; the receiver's sleep ends with the run
PROBE_EVERY = 0.02
WORLD = """\
settings:
  pacingSeconds: 0
  rateLimits: {enabled: false}
  latency:
    workers: 1000000
    pickup: {median: 1, p95: 1, low: 1, high: 1}
    submission: {median: 2, p95: 2, low: 2, high: 2}
  journal: {capacity: 1000}
"""


# ── the receivers (a child process) ─────────────────────────────────────


def serve_receivers(port_file: str) -> None:
    """Three receivers on one 127.0.0.1 server: /ok (204), /slow (2 s), /hang; GET /stats, POST /reset."""
    import uvicorn
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    sys.path.insert(0, str(ROOT))
    from mock_server.core.serving import bind_socket

    seen: dict[str, Counter[str]] = {"ok": Counter(), "slow": Counter(), "hang": Counter()}

    async def hook(request: Request) -> Response:
        mode = request.path_params["mode"]
        seen[mode][request.headers.get("x-uphunt-delivery", "")] += 1
        if mode == "slow":
            await asyncio.sleep(SLOW_SECONDS)
        elif mode == "hang":
            await asyncio.sleep(HANG_SECONDS)
        return Response(status_code=204)

    async def stats(request: Request) -> Response:
        return JSONResponse(
            {
                mode: {"requests": sum(c.values()), "ids": len(c), "repeated": sum(1 for n in c.values() if n > 1)}
                for mode, c in seen.items()
            }
        )

    async def reset(request: Request) -> Response:
        for counter in seen.values():
            counter.clear()
        return JSONResponse({})

    app = Starlette(
        routes=[
            Route("/hooks/{mode}", hook, methods=["POST"]),
            Route("/stats", stats),
            Route("/reset", reset, methods=["POST"]),
        ]
    )
    sock = bind_socket("127.0.0.1", 0)
    Path(port_file).write_text(str(sock.getsockname()[1]))
    uvicorn.Server(uvicorn.Config(app, log_level="error", access_log=False, timeout_graceful_shutdown=1)).run(
        sockets=[sock]
    )


# ── processes ───────────────────────────────────────────────────────────


def start(cmd: list[str], port_file: Path, timeout: float = 30.0) -> subprocess.Popen[bytes]:
    log = port_file.with_suffix(".log").open("wb")  # a file, not a pipe nobody reads: a full pipe blocks the child
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if port_file.exists() and port_file.read_text().strip():
            return proc
        if proc.poll() is not None:
            raise RuntimeError(f"{cmd[:3]} exited: {port_file.with_suffix('.log').read_text()}")
        time.sleep(0.05)
    proc.kill()
    raise RuntimeError(f"{cmd[:3]} did not start within {timeout} s")


def start_mock(world: Path, tmp: Path) -> tuple[subprocess.Popen[bytes], str]:
    cmd = [sys.executable, "-m", "mock_server", "serve", "--port", "0", "--clock", "scale=0.01", "--config", str(world)]
    log_path = tmp / "mock.log"
    proc = subprocess.Popen(cmd, stdout=log_path.open("wb"), stderr=subprocess.STDOUT, cwd=ROOT)
    match = None
    for _ in range(600):  # "uphunt-mock X serving the UpHunt API at http://127.0.0.1:PORT"
        match = re.search(r"http://127\.0\.0\.1:(\d+)", log_path.read_text(errors="replace"))
        if match or proc.poll() is not None:
            break
        time.sleep(0.05)
    if not match:
        proc.kill()
        raise RuntimeError(f"mock did not start: {log_path.read_text(errors='replace')}")
    base = f"http://127.0.0.1:{match.group(1)}"
    for _ in range(200):
        try:
            if httpx.get(f"{base}/_mock/health", timeout=1).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("mock did not answer /_mock/health")


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


# ── one phase ───────────────────────────────────────────────────────────


async def prepare(http: httpx.AsyncClient, count: int, urls: list[str | None], prefix: str) -> list[str]:
    """``count`` accounts, account i getting ``urls[i % len(urls)]`` as its webhook URL."""
    keys = [f"sk_soak_{prefix}_{i:05d}" for i in range(count)]
    sem = asyncio.Semaphore(32)

    async def put(i: int, key: str) -> None:
        async with sem:
            change: dict[str, Any] = {"credits": 1, "webhookUrl": urls[i % len(urls)]}
            r = await retried(http.put, f"/_mock/accounts/{key}", json=change)
            r.raise_for_status()

    await asyncio.gather(*(put(i, k) for i, k in enumerate(keys)))
    # enough Connects for the probe account's agency, whichever agency a new key gets
    (await retried(http.put, f"/_mock/accounts/{keys[0]}", json={"connects": 100_000_000})).raise_for_status()
    return keys


async def retried(call: Any, *args: Any, **kwargs: Any) -> httpx.Response:
    """An idempotent control call, sent again if a keep-alive connection was closed as it was reused."""
    for _ in range(2):
        try:
            return await call(*args, **kwargs)
        except httpx.TransportError:
            await asyncio.sleep(0.05)
    return await call(*args, **kwargs)


async def apply_all(http: httpx.AsyncClient, keys: list[str]) -> tuple[int, int]:
    """Apply once per key, 32 at a time: (applications accepted, transport errors retried)."""
    sem = asyncio.Semaphore(32)
    ok = errors = 0

    async def apply(key: str) -> None:
        nonlocal ok, errors
        async with sem:
            for _ in range(3):  # a keep-alive connection the server closed as it was reused: once more
                try:
                    r = await http.post(
                        "/api/auto-apply-v2/apply",
                        headers={"x-api-key": key},
                        json={"jobId": JOB, "coverLetter": "soak"},
                    )
                except httpx.TransportError:
                    errors += 1
                    continue
                ok += r.status_code == 200
                return

    await asyncio.gather(*(apply(k) for k in keys))
    return ok, errors


def probe(base: str, key: str, until: float) -> list[float]:
    """Status polls every PROBE_EVERY s until ``until`` (monotonic), from a thread of its own with a
    blocking client, so the applying coroutines' event loop does not delay the measurement:
    latencies in ms (a failure counts as 10 s)."""
    latencies = []
    with httpx.Client(base_url=base, timeout=10) as http:
        while time.monotonic() < until:
            started = time.perf_counter()
            try:
                r = http.get("/api/auto-apply-v2/status", headers={"x-api-key": key}, params={"jobId": JOB})
                ok = r.status_code in (200, 404)  # 404 until the probe account's application exists
            except httpx.HTTPError:
                ok = False
            latencies.append((time.perf_counter() - started) * 1000 if ok else 10_000.0)
            time.sleep(PROBE_EVERY)
    return latencies


def summary(latencies: list[float]) -> dict[str, float]:
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return {"n": len(ordered), "p50": statistics.median(ordered), "p99": p99, "max": ordered[-1]}


async def deliveries_by_url(http: httpx.AsyncClient) -> dict[str, Counter[str]]:
    body = (await http.get("/_mock/webhooks/deliveries", timeout=60)).json()
    out: dict[str, Counter[str]] = {}
    for d in body["deliveries"]:
        out.setdefault(d["url"].rsplit("/", 1)[-1], Counter())[d["state"]] += 1
        out[d["url"].rsplit("/", 1)[-1]]["attempts"] += len(d["attempts"])
    return out


async def phase(
    base: str, name: str, count: int, urls: list[str | None], window: float, receivers: str | None, settle: float = 0.0
) -> dict[str, Any]:
    """One phase; with ``settle`` > 0, after the window wait (at most that many seconds) until no delivery is pending."""
    limits = httpx.Limits(max_connections=64)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as http:
        if receivers:
            await retried(http.post, f"{receivers}/reset")
        await retried(http.post, "/_mock/reset")
        keys = await prepare(http, count, urls, name)
        until = time.monotonic() + window
        probing = asyncio.create_task(asyncio.to_thread(probe, base, keys[0], until))
        applied, errors = await apply_all(http, keys)
        latencies = await probing
        result: dict[str, Any] = {"applications": applied, "window_s": window, "status_ms": summary(latencies)}
        result["client_errors"] = errors
        result["probe_failures"] = sum(1 for ms in latencies if ms >= 10_000.0)
        if receivers and settle > 0:
            waited_from = time.monotonic()
            while time.monotonic() - waited_from < settle:
                counts = await deliveries_by_url(http)
                if not any(c.get("pending") for c in counts.values()):
                    break
                await asyncio.sleep(2.0)
            result["settled_after_s"] = round(time.monotonic() - waited_from, 1)
        if receivers:
            result["deliveries"] = {k: dict(v) for k, v in (await deliveries_by_url(http)).items()}
            result["receivers"] = (await http.get(f"{receivers}/stats")).json()
        return result


# ── report ──────────────────────────────────────────────────────────────


def write_section(results: dict[str, Any]) -> None:
    meta = results["meta"]
    base, hanging, mixed, healthy = results["baseline"], results["hanging"], results["mixed"], results["healthy"]
    lines = [
        SECTION,
        "",
        f"Written by `python bench/webhook_soak.py` on {meta['when']}: {meta['machine']}, Python {meta['python']}; "
        f"{meta['applications']:,} applications per phase, each phase a {meta['window']:.0f} s window; mock on "
        "`--clock scale=0.01` (an application settles in ~30 ms), webhook settings at their defaults (5 s timeout, "
        "5 attempts 10/20/40/80 simulated seconds apart, 16 attempts in flight per receiver). The probe polls "
        "`GET /api/auto-apply-v2/status` every 20 ms during the window, while the applications are sent and settle.",
        "",
        "| phase | applications | status p50 ms | status p99 ms | status max ms | probes (failed) | client transport errors |",
        "|---|---|---|---|---|---|---|",
    ]
    phases = (
        ("no webhooks", base),
        ("all to the hanging receiver", hanging),
        ("healthy + slow + hanging", mixed),
        ("all to the healthy receiver", healthy),
    )
    for label, r in phases:
        s = r["status_ms"]
        lines.append(
            f"| {label} | {r['applications']:,} | {s['p50']:.1f} | {s['p99']:.1f} | {s['max']:.1f} | "
            f"{s['n']:,} ({r['probe_failures']}) | {r['client_errors']} |"
        )

    def ratio(r: dict[str, Any]) -> float:
        return r["status_ms"]["p99"] / base["status_ms"]["p99"] if base["status_ms"]["p99"] else float("nan")

    lines += [
        "",
        f"Status p99 with every webhook to a hanging receiver: **{ratio(hanging):.2f}x** the p99 without webhooks "
        f"(target: within 2x); with the three receivers at once {ratio(mixed):.2f}x; with 5,000 deliveries to the "
        f"healthy receiver {ratio(healthy):.2f}x (the mock sends them while it serves: CPU on a 2-core machine "
        "shared with the receivers and the load generator).",
        "",
        "| phase | receiver | delivered | failed | pending | attempts | requests it saw | ids seen more than once |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for label, r in phases[1:]:
        for mode in ("ok", "slow", "hang"):
            d = r["deliveries"].get(mode)
            if not d:
                continue
            seen = r["receivers"][mode]
            lines.append(
                f"| {label} | {mode} | {d.get('delivered', 0):,} | {d.get('failed', 0):,} | {d.get('pending', 0):,} | "
                f"{d.get('attempts', 0):,} | {seen['requests']:,} | {seen['repeated']:,} |"
            )
    lines += [
        "",
        f"The healthy-only phase is followed until nothing is pending (at most 240 s): "
        f"{healthy.get('settled_after_s', 0):.0f} s after its window.",
        "",
        "Reading it: a delivery still `pending` at the end of the window is waiting, in order, for a slot in its "
        "receiver's lane (the slow receiver takes 16 deliveries per 2 s) or for its next retry; none is lost. "
        "A hanging receiver's deliveries fail after their 5 attempts; while they hang they hold only that "
        "receiver's 16 slots. Ids seen more than once at the hanging receiver are its retries (same delivery id, "
        "at-least-once). Before the lanes (issue 13's report, same machine class): 500 deliveries due at once to "
        "a healthy receiver gave 100 delivered and 400 failed; with a hanging receiver the status p99 was "
        f"4,651-6,520 ms. Peak mock RSS this run: {meta['rss_mb']:.0f} MB.",
    ]
    path = HERE / "RESULTS.md"
    text = path.read_text() if path.exists() else "# Benchmark results\n"
    section = "\n".join(lines) + "\n"
    start = text.find(SECTION)
    if start >= 0:
        end = text.find("\n## ", start + len(SECTION))
        text = text[:start] + section + (text[end + 1 :] if end >= 0 else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text)


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="uphunt-soak-"))
    world = tmp / "world.yaml"
    world.write_text(WORLD)
    port_file = tmp / "receivers.port"
    receivers_proc = start(
        [sys.executable, str(Path(__file__).resolve()), "--serve-receivers", str(port_file)], port_file
    )
    receivers = f"http://127.0.0.1:{port_file.read_text().strip()}"
    try:
        mock, base = start_mock(world, tmp)
    except BaseException:
        stop(receivers_proc)
        raise
    peak = 0.0
    try:
        n, window = args.applications, args.window
        results: dict[str, Any] = {}
        results["baseline"] = await phase(base, "base", n, [None], window, None)
        peak = max(peak, rss_mb(mock.pid))
        results["hanging"] = await phase(base, "hanging", n, [f"{receivers}/hooks/hang"], window, receivers)
        peak = max(peak, rss_mb(mock.pid))
        urls = [f"{receivers}/hooks/ok", f"{receivers}/hooks/slow", f"{receivers}/hooks/hang"]
        results["mixed"] = await phase(base, "mixed", n, urls, window, receivers)  # type: ignore[arg-type]
        peak = max(peak, rss_mb(mock.pid))
        results["healthy"] = await phase(base, "healthy", n, [f"{receivers}/hooks/ok"], window, receivers, settle=240.0)
        peak = max(peak, rss_mb(mock.pid))
    finally:
        stop(mock)
        stop(receivers_proc)
        print(f"logs: {tmp}/mock.log, {tmp}/receivers.log", file=sys.stderr)
    results["meta"] = {
        "when": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "applications": args.applications,
        "window": args.window,
        "rss_mb": peak,
    }
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--applications", type=int, default=5000)
    parser.add_argument("--window", type=float, default=45.0, help="seconds each phase is watched (bounded)")
    parser.add_argument("--serve-receivers", metavar="PORT_FILE", help=argparse.SUPPRESS)
    parser.add_argument("--no-write", action="store_true", help="print the figures, leave RESULTS.md alone")
    args = parser.parse_args()
    if args.serve_receivers:
        serve_receivers(args.serve_receivers)
        return 0
    results = asyncio.run(main_async(args))
    (HERE / "webhook_soak.json").write_text(json.dumps(results, indent=2))
    if not args.no_write:
        write_section(results)
    print(json.dumps({k: v for k, v in results.items() if k != "meta"}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
