"""`make bench`: measure the mock against a bare Starlette endpoint, in one run, and write RESULTS.md.

Every figure is the min / median / max of RUNS runs. Servers listen on
127.0.0.1 on free ports, are started and stopped here, and every load run is
bounded in time (wrk -d). Nothing here is a test: budgets are reported, not
asserted, so a slow CI machine cannot make the suite flaky.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PY = sys.executable
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
DURATION = os.environ.get("BENCH_DURATION", "5s")
THREADS = 1
API_KEY = "bench_key"
# On a 2-core machine the load generator and the server fight for the CPU; pinning each to
# its own core (when taskset exists) makes runs comparable instead of a lottery.
PIN_SERVER = ["taskset", "-c", "1"] if shutil.which("taskset") and (os.cpu_count() or 1) >= 2 else []
PIN_LOAD = ["taskset", "-c", "0"] if PIN_SERVER else []


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(url: str, timeout: float = 15.0) -> float:
    """Seconds until ``url`` first answers 200."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        try:
            if httpx.get(url, timeout=0.5).status_code == 200:
                return time.perf_counter() - started
        except httpx.HTTPError:
            pass
        time.sleep(0.005)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


class Server:
    def __init__(self, args: list[str], health: str) -> None:
        self.port = free_port()
        self.args = PIN_SERVER + [a.replace("{port}", str(self.port)) for a in args]
        self.health = health
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Server:
        self.proc = subprocess.Popen(self.args, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.ready_s = wait_ready(self.url(self.health))
        return self

    def url(self, path: str = "") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def __exit__(self, *exc: object) -> None:
        assert self.proc is not None
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def mock_server(world: Path | None = HERE / "world.yaml") -> Server:
    config = ["--config", str(world)] if world else []
    return Server([PY, "-m", "mock_server", "serve", "--port", "{port}", "--clock", "manual", *config], "/_mock/health")


def bare_server() -> Server:
    return Server(
        [PY, "-m", "uvicorn", "bench.bare_app:app", "--port", "{port}", "--log-level", "warning", "--no-access-log"],
        "/api/auto-apply-v2/status",
    )


def wrk(url: str, connections: int, script: str, env: dict[str, str]) -> dict[str, float]:
    out = subprocess.run(
        [*PIN_LOAD, "wrk", "-t", str(min(THREADS, connections)), "-c", str(connections), "-d", DURATION, "-s", str(HERE / script), url],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **env, "WRK_THREADS": str(min(THREADS, connections))},
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return {
        "rps": rps,
        "p50_ms": int(re.search(r"LATENCY_P50_US (\d+)", out).group(1)) / 1000,
        "p99_ms": int(re.search(r"LATENCY_P99_US (\d+)", out).group(1)) / 1000,
        "non2xx": int(non2xx.group(1)) if non2xx else 0,
    }


def spread(values: list[float]) -> dict[str, float]:
    return {"min": min(values), "median": statistics.median(values), "max": max(values)}


def http_benchmarks(results: dict) -> None:
    jobs_file = Path(tempfile.mkstemp(suffix=".txt")[1])
    with mock_server() as mock:
        # Every generated job of the bench world, so each apply hits a fresh job.
        sys.path.insert(0, str(ROOT))
        from mock_server.core.clock import ManualClock
        from mock_server.vendors.uphunt.world import World

        sim = World.from_file(HERE / "world.yaml").build(ManualClock())
        jobs_file.write_text("\n".join(j.ciphertext for j in sim.catalogue.jobs if j.is_open(sim.clock.now())))
        queued = httpx.post(
            mock.url("/api/auto-apply-v2/apply"),
            headers={"x-api-key": API_KEY},
            json={"jobId": "~022053140178050136031", "coverLetter": "status target"},
        ).json()["queueId"]
        with bare_server() as bare:
            env = {"API_KEY": API_KEY, "JOBS_FILE": str(jobs_file)}
            for endpoint, script, path in (
                ("status", "status.lua", f"/api/auto-apply-v2/status?queueId={queued}"),
                ("apply", "apply.lua", "/api/auto-apply-v2/apply"),
            ):
                for conns in (1, 50):
                    for name, server in (("mock", mock), ("bare", bare)):
                        runs = []
                        for _ in range(RUNS):
                            if endpoint == "apply":
                                httpx.post(server.url("/_mock/reset"))  # fresh jobs and credits for every run
                                if name == "mock":
                                    queued_again = httpx.post(
                                        mock.url("/api/auto-apply-v2/apply"),
                                        headers={"x-api-key": API_KEY},
                                        json={"jobId": "~022053140178050136031", "coverLetter": "status target"},
                                    )
                                    assert queued_again.status_code == 200
                            runs.append(wrk(server.url(path), conns, script, env))
                        results["http"][f"{endpoint}/{conns}/{name}"] = {
                            key: spread([r[key] for r in runs]) for key in ("rps", "p50_ms", "p99_ms", "non2xx")
                        }
    jobs_file.unlink()


def startup_benchmarks(results: dict) -> None:
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        with mock_server(world=None):  # `uphunt-mock serve` with the default world
            times.append(time.perf_counter() - started)
    results["startup"]["process_to_first_200_s"] = spread(times)
    fixture = subprocess.run(
        [PY, str(HERE / "fixture_startup.py"), str(RUNS)], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    if fixture.returncode == 0 and fixture.stdout.strip():
        results["startup"]["fixture"] = json.loads(fixture.stdout.strip().splitlines()[-1])
    else:
        results["startup"]["fixture"] = {"error": (fixture.stderr or fixture.stdout).strip()[-500:]}


def simulator_benchmarks(results: dict) -> None:
    runs = []
    for _ in range(RUNS):
        out = subprocess.run([PY, str(HERE / "sim_bench.py"), "100000"], cwd=ROOT, capture_output=True, text=True, timeout=300, check=True)
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    results["simulator"] = {key: spread([r[key] for r in runs]) for key in ("seconds", "per_second", "peak_rss_mb")}


def main() -> int:
    if shutil.which("wrk") is None:
        print("bench: wrk is not installed (make bench installs it with apt-get)", file=sys.stderr)
        return 2
    results: dict = {"http": {}, "startup": {}, "simulator": {}}
    started = time.perf_counter()
    print("bench: HTTP throughput and latency (mock vs bare Starlette) ...", flush=True)
    http_benchmarks(results)
    print("bench: start-up ...", flush=True)
    startup_benchmarks(results)
    print("bench: simulator, 100,000 applications ...", flush=True)
    simulator_benchmarks(results)
    print("bench: status and apply with the dashboard open and closed ...", flush=True)
    try:
        from dashboard_open import dashboard_benchmarks  # noqa: E402  (bench/dashboard_open.py)

        dashboard_benchmarks(results)
    except Exception as exc:  # no Chromium on this machine: report it, keep the rest
        results["dashboard_error"] = f"{type(exc).__name__}: {exc}"[:500]
    results["meta"] = {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "versions": _versions(),
        "runs": RUNS,
        "duration": DURATION,
        "total_seconds": round(time.perf_counter() - started, 1),
    }
    (HERE / "results.json").write_text(json.dumps(results, indent=2))
    from report import write_report  # noqa: E402  (bench/report.py)

    write_report(results, HERE / "RESULTS.md")
    print(f"bench: wrote {HERE / 'RESULTS.md'} in {results['meta']['total_seconds']} s")
    import jobo_bench  # noqa: E402  (bench/jobo_bench.py: Jobo's large bodies, its own section of RESULTS.md)

    return jobo_bench.main()


def _versions() -> dict[str, str]:
    from importlib.metadata import version

    out = {name: version(name) for name in ("starlette", "uvicorn", "jsonschema", "uphunt-mock")}
    out["wrk"] = subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout.split(" [")[0].strip() or "wrk"
    return out


if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    sys.exit(main())
