"""`make bench`: measure the mock against a bare Starlette endpoint, in one run, and write RESULTS.md.

Every figure is the min / median / max of RUNS runs. Servers listen on
127.0.0.1 on free ports, are started and stopped here, and every load run is
bounded in time (wrk -d). Nothing here is a test: budgets are reported, not
asserted, so a slow CI machine cannot make the suite flaky.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import re
import shutil
import signal
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
sys.path.insert(0, str(HERE))
from worlds import ACCOUNTS, EMPTY_WORLD, FILLED_APPLICATIONS, full_world_file, open_jobs  # noqa: E402

PY = sys.executable
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
DURATION = os.environ.get("BENCH_DURATION", "5s")
SERVERS = os.environ.get("BENCH_SERVERS", "granian,uvicorn").split(",")
# Earlier commits measured in the same run, each served from a `git archive` copy under uvicorn
# (what they shipped): BENCH_BEFORE (e.g. the commit this branch started from) and
# BENCH_PRELAYOUT (e.g. eea2b1d, the last commit before the mock_server/core re-cut).
BEFORE = os.environ.get("BENCH_BEFORE", "")
PRELAYOUT = os.environ.get("BENCH_PRELAYOUT", "")
THREADS = 1
API_KEY = "bench_key"
STATUS_JOB = "~022053140178050136031"  # the status target's job: never in the apply jobs file
# On a 2-core machine the load generator and the server fight for the CPU; pinning each to
# its own core (when taskset exists) makes runs comparable instead of a lottery. A server gets
# one core whatever its threads (granian's Rust I/O thread shares core 1 with the app's).
PIN_SERVER = ["taskset", "-c", "1"] if shutil.which("taskset") and (os.cpu_count() or 1) >= 2 else []
PIN_LOAD = ["taskset", "-c", "0"] if PIN_SERVER else []


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(url: str, timeout: float = 30.0) -> float:
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
    def __init__(self, args: list[str], health: str, cwd: Path = ROOT) -> None:
        self.port = free_port()
        self.args = PIN_SERVER + [a.replace("{port}", str(self.port)) for a in args]
        self.health = health
        self.cwd = cwd
        self.proc: subprocess.Popen[bytes] | None = None
        self.gc_log: Path | None = None

    def __enter__(self) -> Server:
        env = {**os.environ, "PYTHONPATH": str(self.cwd)}  # an archived tree's mock_server, not this one
        self.proc = subprocess.Popen(
            self.args, cwd=self.cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
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


def mock_server(
    world: Path | None = EMPTY_WORLD, server: str | None = None, tree: Path = ROOT, gc_log: Path | None = None
) -> Server:
    """`uphunt-mock serve` of ``tree``; with ``gc_log``, every collector pause is logged there (gclog_serve.py)."""
    config = ["--config", str(world)] if world else []
    chosen = ["--server", server] if server else []
    command = [PY, str(HERE / "gclog_serve.py"), str(gc_log)] if gc_log else [PY, "-m", "mock_server"]
    server_ = Server(
        [*command, "serve", "--port", "{port}", "--clock", "manual", *config, *chosen], "/_mock/health", tree
    )
    server_.gc_log = gc_log
    return server_


def bare_server(server: str) -> Server:
    return Server(
        [PY, str(HERE / "serve_app.py"), "bench.bare_app:app", "--server", server, "--port", "{port}"],
        "/api/auto-apply-v2/status",
    )


def wrk(url: str, connections: int, script: str, env: dict[str, str], duration: str = DURATION) -> dict[str, float]:
    out = subprocess.run(
        [
            *PIN_LOAD,
            "wrk",
            "-t",
            str(min(THREADS, connections)),
            "-c",
            str(connections),
            "-d",
            duration,
            "-s",
            str(HERE / script),
            url,
        ],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, **env, "WRK_THREADS": str(min(THREADS, connections))},
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return {
        "rps": rps,
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),
        "p50_ms": int(re.search(r"LATENCY_P50_US (\d+)", out).group(1)) / 1000,
        "p99_ms": int(re.search(r"LATENCY_P99_US (\d+)", out).group(1)) / 1000,
        "non2xx": int(non2xx.group(1)) if non2xx else 0,
    }


def spread(values: list[float]) -> dict[str, float]:
    return {"min": min(values), "median": statistics.median(values), "max": max(values)}


def archived_tree(commit: str) -> Path:
    """``commit``'s files (git archive) in a temporary directory, to serve the mock as it was then."""
    out = Path(tempfile.mkdtemp(prefix=f"uphunt-bench-{commit[:10]}-"))
    archive = subprocess.run(["git", "archive", commit], cwd=ROOT, capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(out)], input=archive, check=True)
    return out


class Target:
    """One server under load: the mock (a tree, a server, a world) or the bare endpoint (a server)."""

    def __init__(self, label: str, server: Server, world: str, kind: str) -> None:
        self.label, self.server, self.world, self.kind = label, server, world, kind
        self.next_start = 1_000_000  # apply indices of measured runs start past the fill's
        self.queue_id = ""

    def post_status_target(self) -> None:
        r = httpx.post(
            self.server.url("/api/auto-apply-v2/apply"),
            headers={"x-api-key": API_KEY},
            json={"jobId": STATUS_JOB, "coverLetter": "status target"},
            timeout=30,
        )
        assert r.status_code == 200, (self.label, r.status_code, r.text)
        self.queue_id = r.json()["queueId"]

    def before_run(self, endpoint: str) -> None:
        """The empty world starts every apply run empty (reset); the full one keeps its applications."""
        if self.kind == "bare":
            return
        if endpoint == "apply" and self.world == "empty":
            assert httpx.post(self.server.url("/_mock/reset"), timeout=60).status_code == 200
            self.post_status_target()

    def apply_env(self) -> dict[str, str]:
        if self.world == "full":
            start, self.next_start = self.next_start, self.next_start + 1_000_000
            return {"ACCOUNTS": str(ACCOUNTS), "START": str(start)}
        return {"ACCOUNTS": "0", "START": "0"}


def fill(target: Target, jobs_file: Path) -> dict[str, float]:
    """100,000 applications through the API (50 connections), as a long-running mock accumulates them.

    In bursts of at most 3 s that stop after the applications still missing (wrk's thread:stop()
    has been seen to leave wrk waiting until -d ran out), each starting where the last one ended.
    """
    made, requests, started = 0, 0, time.perf_counter()
    while made < FILLED_APPLICATIONS:
        env = {
            "API_KEY": API_KEY,
            "JOBS_FILE": str(jobs_file),
            "ACCOUNTS": str(ACCOUNTS),
            "START": str(requests),
            "STOP_AFTER": str(FILLED_APPLICATIONS - made),
        }
        out = wrk(target.server.url("/api/auto-apply-v2/apply"), 50, "apply.lua", env, duration="3s")
        made += out["requests"] - out["non2xx"]
        requests += out["requests"] + 50  # the requests still in flight when a burst ended may have landed too
    return {"applications": made, "seconds": time.perf_counter() - started}


def http_benchmarks(results: dict) -> None:
    full_world = full_world_file()
    jobs = [j for j in open_jobs(EMPTY_WORLD) if j != STATUS_JOB]
    full_jobs = [j for j in open_jobs(full_world) if j != STATUS_JOB]
    assert jobs == full_jobs  # one jobs file serves both worlds
    jobs_file = Path(tempfile.mkstemp(suffix=".txt")[1])
    jobs_file.write_text("\n".join(jobs))
    trees: list[tuple[str, Path]] = []
    for name, commit in (("before", BEFORE), ("prelayout", PRELAYOUT)):
        if commit:
            trees.append((name, archived_tree(commit)))
            results["commits"][name] = subprocess.run(
                ["git", "rev-parse", "--short", commit], cwd=ROOT, capture_output=True, text=True
            ).stdout.strip()
    results["commits"]["after"] = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    with contextlib.ExitStack() as stack:
        targets: list[Target] = []
        for server in SERVERS:
            targets.append(Target(f"bare/{server}", stack.enter_context(bare_server(server)), "-", "bare"))
        for world_name, world in (("empty", EMPTY_WORLD), ("full", full_world)):
            for server in SERVERS:
                label = f"after/{server}/{world_name}"
                targets.append(
                    Target(
                        label, stack.enter_context(mock_server(world, server, gc_log=gc_log(label))), world_name, "mock"
                    )
                )
            for name, tree in trees:
                if name == "prelayout" and world_name == "full":
                    continue  # the re-cut check is throughput on the empty world
                label = f"{name}/uvicorn/{world_name}"
                targets.append(
                    Target(
                        label, stack.enter_context(mock_server(world, None, tree, gc_log(label))), world_name, "mock"
                    )
                )
        for target in targets:
            if target.world == "full":
                print(f"bench: filling {target.label} with {FILLED_APPLICATIONS:,} applications ...", flush=True)
                results["fill"][target.label] = fill(target, jobs_file)
            if target.kind == "mock":
                target.post_status_target()
        measured: dict[str, list[dict[str, float]]] = {}
        pauses: dict[str, list[tuple[int, float, float]]] = {}
        for run in range(RUNS):  # interleaved: a slow minute on a shared machine hits every target alike
            for endpoint, script in (("status", "status.lua"), ("apply", "apply.lua")):
                for conns in (1, 50):
                    print(f"bench: run {run + 1}/{RUNS}, {endpoint}, {conns} connection(s) ...", flush=True)
                    for target in targets:
                        target.before_run(endpoint)
                        env = {"API_KEY": API_KEY, "JOBS_FILE": str(jobs_file)}
                        if endpoint == "apply":
                            env.update(target.apply_env())
                            path = "/api/auto-apply-v2/apply"
                        else:
                            path = (
                                f"/api/auto-apply-v2/status?queueId={target.queue_id or 'queue_c209629f6fbed82c07cd'}"
                            )
                        cpu_before = cpu_seconds(target.server)
                        gc_mark = gc_lines(target.server)
                        out = wrk(target.server.url(path), conns, script, env)
                        if target.server.gc_log is not None:
                            pauses.setdefault(target.label, []).extend(gc_pauses(target.server, gc_mark))
                        out["cpu_us"] = (cpu_seconds(target.server) - cpu_before) / max(1, out["requests"]) * 1e6
                        measured.setdefault(f"{endpoint}/{conns}/{target.label}", []).append(out)
                        results["load"].append(_load())
    for label, found in pauses.items():
        results["gc"][label] = {
            **{f"gen{g}": sum(1 for p in found if p[0] == g) for g in (0, 1, 2)},
            "max_wall_ms": max((p[1] for p in found), default=0.0),
            "max_cpu_ms": max((p[2] for p in found), default=0.0),
            "max_gen2_wall_ms": max((p[1] for p in found if p[0] == 2), default=0.0),
        }
    for key, runs in measured.items():
        results["http"][key] = {
            k: spread([r[k] for r in runs]) for k in ("rps", "p50_ms", "p99_ms", "non2xx", "cpu_us")
        }
    jobs_file.unlink()
    full_world.unlink()
    for target in targets:
        if target.server.gc_log is not None:
            target.server.gc_log.unlink(missing_ok=True)
    for _name, tree in trees:
        shutil.rmtree(tree, ignore_errors=True)


def profile_benchmarks(results: dict) -> None:
    """bench/tail.py on this tree (the collector policy of serve) and, if set, on BENCH_BEFORE (as it was)."""
    runs = [("after", ROOT, "policy")]
    if BEFORE:
        runs.append(("before", archived_tree(BEFORE), "freeze"))
    for name, tree, gc_mode in runs:
        if tree != ROOT:
            for helper in ("tail.py", "worlds.py", "inprocess.py"):  # the probe itself is this branch's
                shutil.copy(HERE / helper, tree / "bench" / helper)
        out = subprocess.run(
            [PY, str(tree / "bench" / "tail.py"), "--gc", gc_mode],
            cwd=tree,
            env={**os.environ, "PYTHONPATH": str(tree)},
            capture_output=True,
            text=True,
            timeout=1200,
        )
        if out.returncode == 0:
            results["profile"][name] = json.loads(out.stdout)
        else:
            results["profile"][name] = {"error": out.stderr.strip()[-500:]}
        if tree != ROOT:
            shutil.rmtree(tree, ignore_errors=True)


def gc_log(label: str) -> Path:
    return Path(tempfile.gettempdir()) / f"uphunt-bench-gc-{os.getpid()}-{label.replace('/', '-')}.log"


def gc_lines(server: Server) -> int:
    return len(server.gc_log.read_text().splitlines()) if server.gc_log and server.gc_log.exists() else 0


def gc_pauses(server: Server, since: int) -> list[tuple[int, float, float]]:
    """The server's collector pauses logged after line ``since``: (generation, wall ms, CPU ms)."""
    if not server.gc_log or not server.gc_log.exists():
        return []
    rows = [line.split() for line in server.gc_log.read_text().splitlines()[since:]]
    return [(int(g), float(w), float(c)) for g, w, c in rows]


def cpu_seconds(server: Server) -> float:
    """CPU time the server process has used (all its threads): per request, a cost no other load inflates much."""
    assert server.proc is not None
    fields = Path(f"/proc/{server.proc.pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _load() -> float:
    """The 1-minute load average: the machine is shared, and the report says how busy it was."""
    return os.getloadavg()[0]


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
        out = subprocess.run(
            [PY, str(HERE / "sim_bench.py"), "100000"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
            check=True,
        )
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    results["simulator"] = {key: spread([r[key] for r in runs]) for key in ("seconds", "per_second", "peak_rss_mb")}


def main() -> int:
    # SIGTERM (a stopped `make bench`) unwinds like Ctrl-C, so every server started here is stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if shutil.which("wrk") is None:
        print("bench: wrk is not installed (make bench installs it with apt-get)", file=sys.stderr)
        return 2
    results: dict = {
        "http": {},
        "startup": {},
        "simulator": {},
        "fill": {},
        "commits": {},
        "load": [],
        "profile": {},
        "gc": {},
    }
    started = time.perf_counter()
    print(
        "bench: HTTP throughput and latency (mock vs bare Starlette, per server, empty and full world) ...", flush=True
    )
    http_benchmarks(results)
    (HERE / "results.partial.json").write_text(json.dumps(results, indent=2))  # a later failure keeps these
    print("bench: the apply tail, in-process (bench/tail.py: CPU time and collector pauses) ...", flush=True)
    profile_benchmarks(results)
    (HERE / "results.partial.json").write_text(json.dumps(results, indent=2))
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
    (HERE / "results.partial.json").unlink(missing_ok=True)
    from report import write_report  # noqa: E402  (bench/report.py)

    write_report(results, HERE / "RESULTS.md")
    print(f"bench: wrote {HERE / 'RESULTS.md'} in {results['meta']['total_seconds']} s")
    import jobo_bench  # noqa: E402  (bench/jobo_bench.py: Jobo's large bodies, its own section of RESULTS.md)

    return jobo_bench.main()


def _versions() -> dict[str, str]:
    from importlib.metadata import version

    out = {name: version(name) for name in ("starlette", "uvicorn", "granian", "jsonschema", "uphunt-mock")}
    out["wrk"] = (
        subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout.split(" [")[0].strip() or "wrk"
    )
    return out


if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    sys.exit(main())
