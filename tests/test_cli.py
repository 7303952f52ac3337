"""`uphunt-mock serve` run as a real subprocess (issue 2): port 0, --config, clean stop, exit codes.

Every wait is bounded; a server that does not answer in time is killed and the test fails.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from mock_server import __version__
from mock_server.cli import main

BIN = shutil.which("uphunt-mock", path=str(Path(sys.executable).parent))
COMMAND = [BIN] if BIN else [sys.executable, "-m", "mock_server"]
START_TIMEOUT = 20.0
WORLD = """\
settings:
  rateLimits: {enabled: false}
accounts:
  - {apiKey: sk_cli_world, agencyId: agency_second, credits: 7}
"""


def run(*args: str, timeout: float = 30.0) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*COMMAND, *args], capture_output=True, text=True, timeout=timeout, env={**os.environ, "PYTHONUNBUFFERED": "1"}
    )


class Lines:
    """The child's stdout, line by line, with a timeout (a reader thread feeds a queue)."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.queue: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        assert proc.stdout is not None
        threading.Thread(target=self._pump, args=(proc.stdout,), daemon=True).start()

    def _pump(self, stream) -> None:
        for line in stream:
            self.queue.put(line)
        self.queue.put("")  # EOF

    def next(self, timeout: float) -> str:
        try:
            line = self.queue.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no output within {timeout} s") from None
        self.seen.append(line)
        return line

    def rest(self, timeout: float) -> str:
        out = ""
        while (line := self.next(timeout)) != "":
            out += line
        return out


@pytest.fixture
def start_server(tmp_path):
    procs: list[subprocess.Popen[str]] = []

    def start(*args: str) -> tuple[subprocess.Popen[str], str, Lines]:
        stderr = tmp_path / f"stderr-{len(procs)}.txt"
        with stderr.open("w") as sink:
            proc = subprocess.Popen(
                [*COMMAND, "serve", "--port", "0", *args],
                stdout=subprocess.PIPE,
                stderr=sink,
                text=True,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
        proc.stderr_path = stderr  # type: ignore[attr-defined]
        procs.append(proc)
        lines = Lines(proc)
        first = lines.next(START_TIMEOUT)
        match = re.fullmatch(r"uphunt-mock \S+ serving the UpHunt API at (http://127\.0\.0\.1:(\d+))\n", first)
        assert match, first
        assert int(match.group(2)) > 0
        lines.next(5)
        lines.next(5)
        lines.next(5)
        return proc, match.group(1), lines

    yield start
    for proc in procs:  # only the processes this test started
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_serve_port_0_prints_the_port_serves_and_stops_cleanly(start_server, tmp_path, stop_signal):
    world = tmp_path / "world.yaml"
    world.write_text(WORLD)
    proc, base, lines = start_server("--clock", "manual", "--config", str(world), "--seed", "3")
    banner = lines.seen
    assert banner[1] == "  demo API key: sk_uphunt_demo_key\n"
    assert banner[2] == f"  clock: manual | docs: {base}/docs | control: {base}/_mock/health\n"
    assert banner[3] == f"  dashboard: {base}/_mock/ui\n"
    assert all(line.isascii() for line in banner)
    with httpx.Client(base_url=base, timeout=10) as http:
        # connecting right after the banner works (the socket listens before the URL is printed)
        assert http.get("/_mock/health").json()["status"] == "ok"
        assert http.get("/_mock/clock").json()["mode"] == "manual"
        # the --config world is merged over the default one
        r = http.post(
            "/api/auto-apply-v2/apply",
            headers={"x-api-key": "sk_cli_world"},
            json={"jobId": "~022053140178050136031", "coverLetter": "Hi"},
        )
        assert (r.status_code, r.json()["creditsRemaining"]) == (200, 6)
        assert http.get("/_mock/accounts/sk_uphunt_demo_key").status_code == 200
        r = http.post(
            "/api/auto-apply-v2/apply",
            headers={"x-api-key": "sk_uphunt_demo_key"},
            json={"jobId": "~01abc", "coverLetter": "Hi"},
        )
        assert r.status_code == 200
    proc.send_signal(stop_signal)
    assert proc.wait(timeout=10) == 0
    assert lines.rest(5) == "uphunt-mock stopped\n"


@pytest.mark.parametrize("server", [None, "granian", "uvicorn"])
def test_serve_runs_under_the_chosen_server_granian_by_default(start_server, server):
    proc, base, lines = start_server("--clock", "manual", *(["--server", server] if server else []))
    with httpx.Client(base_url=base, timeout=10) as http:
        r = http.get("/api/auto-apply-v2/freelancers", headers={"x-api-key": "sk_uphunt_demo_key"})
        assert r.status_code == 200
        assert r.headers["server"] == (server or os.environ.get("UPHUNT_MOCK_SERVER", "granian"))
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=10) == 0
    assert lines.rest(5) == "uphunt-mock stopped\n"


def test_an_unknown_server_is_refused_by_the_argument_parser(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["serve", "--server", "nginx"])
    assert exit_.value.code == 2
    assert "argument --server: invalid choice: 'nginx' (choose from 'granian', 'uvicorn')" in capsys.readouterr().err


def test_an_open_dashboard_stream_ends_at_once_when_the_server_stops(start_server):
    # uvicorn waits for open responses before shutting down; an event stream never ends by itself,
    # so without closing it first every stop would hit the graceful-shutdown timeout instead.
    proc, base, lines = start_server("--clock", "manual")
    with httpx.stream("GET", base + "/_mock/events", timeout=10) as stream:
        received = stream.iter_lines()
        assert next(received) == "retry: 2000"
        proc.send_signal(signal.SIGTERM)
        rest = list(received)  # ends when the server closes the stream (or fails on the 10 s read timeout)
    assert "event: hello" in rest
    assert proc.wait(timeout=10) == 0
    assert lines.rest(5) == "uphunt-mock stopped\n"
    assert "graceful shutdown exceeded" not in proc.stderr_path.read_text()


def test_bad_world_file_exits_2_with_file_line_reason(tmp_path):
    """The installed console script, end to end: exit code 2 and ``FILE:LINE: reason`` on stderr."""
    world = tmp_path / "bad.yaml"
    world.write_text("settings:\n  pacingSeconds: 5\nagencies:\n  - id: a1\n    connects: -3\n")
    result = run("serve", "--port", "0", "--config", str(world))
    assert result.returncode == 2
    assert result.stderr == f"uphunt-mock: {world}:5: agencies[0].connects: -3 is less than the minimum of 0\n"
    assert result.stdout == ""


# The other refusals go through the same main() in-process (no interpreter start-up per case).


@pytest.mark.parametrize(
    ("args", "stderr"),
    [
        (
            ["--config", "{tmp}/nope.yaml"],
            "uphunt-mock: {tmp}/nope.yaml: cannot read world file: No such file or directory\n",
        ),
        (
            ["--config", "{tmp}/syntax.yaml"],
            "uphunt-mock: {tmp}/syntax.yaml:2: invalid YAML: expected the node content, but found '<stream end>'\n",
        ),
        (
            ["--config", "{tmp}/refs.yaml"],
            "uphunt-mock: {tmp}/refs.yaml:2: account 'k' names unknown agency 'nowhere'\n",
        ),
        (["--clock", "fast"], "uphunt-mock: bad clock 'fast': use real, manual or scale=F\n"),
        (["--clock", "scale=0"], "uphunt-mock: bad clock 'scale=0': the scale factor must be > 0\n"),
    ],
)
def test_refusals_exit_2_with_one_line_on_stderr(tmp_path, capsys, args, stderr):
    (tmp_path / "syntax.yaml").write_text("accounts: [1,\n")
    (tmp_path / "refs.yaml").write_text("accounts:\n  - {apiKey: k, agencyId: nowhere}\n")
    argv = ["serve", "--port", "0", *(a.format(tmp=tmp_path) for a in args)]
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert (captured.out, captured.err) == ("", stderr.format(tmp=tmp_path))


def test_port_in_use_exits_2(capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["serve", "--port", str(port), "--clock", "manual"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"uphunt-mock: cannot listen on 127.0.0.1:{port}: ")
    assert err.count("\n") == 1


def test_help_lists_the_serve_flags(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["serve", "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    for flag in ("--host", "--port", "--config", "--scenario", "--clock", "--seed", "--server"):
        assert flag in out


# ── machine-readable start-up: --json and --url-file (issue 16) ─────────────


def test_json_line_and_url_file_once_the_server_accepts(tmp_path):
    url_file = tmp_path / "mock.url"
    url_file.write_text("http://127.0.0.1:1\n")  # a stale file from an earlier run is removed first
    proc = subprocess.Popen(
        [*COMMAND, "serve", "--port", "0", "--clock", "manual", "--json", "--url-file", str(url_file)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        lines = Lines(proc)
        line = json.loads(lines.next(START_TIMEOUT))
        assert set(line) == {"url", "port", "pid", "vendor", "clock", "apiKey", "version"}
        assert line["url"] == f"http://127.0.0.1:{line['port']}" and line["port"] > 0
        assert (line["pid"], line["vendor"], line["apiKey"], line["version"]) == (
            proc.pid,
            "uphunt",
            "sk_uphunt_demo_key",
            __version__,
        )
        assert line["clock"] == {"mode": "manual", "now": 1_767_225_600_000, "factor": None}
        assert url_file.read_text() == line["url"] + "\n"  # written before the JSON line
        # accepting already: no retry loop needed
        health = httpx.get(line["url"] + "/_mock/health", timeout=5).json()
        assert (health["status"], health["version"], health["vendor"], health["clock"]["mode"]) == (
            "ok",
            __version__,
            "uphunt",
            "manual",
        )
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
        assert lines.rest(5) == ""  # stdout holds the one JSON line only
        assert not url_file.exists()  # removed on exit
        err = proc.stderr.read()
        assert err.startswith(f"uphunt-mock {__version__} serving the UpHunt API at {line['url']}\n") and err.endswith(
            "uphunt-mock stopped\n"
        )
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)


def test_help_describes_every_command(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert "serve a simulated API" in out and "check a server" in out


# ── SIGINT/SIGTERM from a non-interactive shell, at any moment (issue 16) ───

# bash without job control starts `cmd &` with SIGINT *ignored* (the script checks that premise
# on a probe job); the mock must catch SIGINT anyway, from the first line of its main. The test
# sends the signal at a moment measured in the mock's own CPU time, which a loaded machine does
# not shift: the mock catches SIGINT after ~15 ms of CPU (the old one only after ~130 ms of
# imports, so a SIGINT before that was lost and the mock kept running).
START_IN_BACKGROUND = r"""
mock="$1"; url_file="$2"
sleep 30 & probe=$!
for _ in $(seq 500); do [ "$(cat /proc/$probe/comm 2>/dev/null)" = sleep ] && break; sleep 0.005; done
ign=$(awk '/^SigIgn/ {print $2}' /proc/$probe/status); kill $probe
(( 0x$ign & 2 )) || { echo "premise: background jobs should start with SIGINT ignored"; exit 3; }
"$mock" serve --port 0 --clock manual --url-file "$url_file" >/dev/null 2>&1 &
pid=$!
echo "$pid"
wait "$pid"
echo "rc=$?"
"""


def _proc_field(pid: int, name: str) -> str:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(name + ":"):
            return line.split()[1]
    raise AssertionError(name)


def _cpu_ms(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def _wait_for(condition, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.001)


@pytest.mark.parametrize(
    ("sig", "moment"),
    [
        ("INT", "caught"),
        ("INT", "cpu=40"),
        ("INT", "cpu=120"),
        ("INT", "ready"),
        ("TERM", "exec"),
        ("TERM", "caught"),
        ("TERM", "cpu=60"),
        ("TERM", "ready"),
    ],
)
def test_a_background_mock_of_a_non_interactive_shell_stops_on_a_signal_at_any_moment(tmp_path, sig, moment):
    """exec: as soon as bash has exec'd the mock, maybe before Python runs a line of it (SIGTERM's default
    action stops the process there: exit 143; a SIGINT the shell made ignored would be lost, the one
    documented limit); caught: right after the mock's handler is in place; cpu=N: once the mock has
    used N ms of CPU (imports, world build); ready: serving."""
    mock = BIN or pytest.skip("the uphunt-mock console script is not installed")
    url_file = tmp_path / "mock.url"
    shell = subprocess.Popen(
        ["bash", "-c", START_IN_BACKGROUND, "stop-test", mock, str(url_file)], stdout=subprocess.PIPE, text=True
    )
    try:
        first = shell.stdout.readline()
        assert first.strip().isdigit(), first + shell.stdout.read()
        pid = int(first)
        _wait_for(lambda: Path(f"/proc/{pid}/comm").read_text().strip() != "bash", "bash to exec the mock")
        if moment == "caught":
            _wait_for(lambda: int(_proc_field(pid, "SigCgt"), 16) & 2, "the mock's SIGINT handler")
        elif moment.startswith("cpu="):
            _wait_for(lambda: _cpu_ms(pid) >= float(moment[4:]), moment)
        elif moment == "ready":
            _wait_for(lambda: url_file.exists() and url_file.read_text().endswith("\n"), "the url file")
        url = url_file.read_text().strip() if moment == "ready" else None
        os.kill(pid, getattr(signal, "SIG" + sig))
        out, _ = shell.communicate(timeout=20)
    finally:
        if shell.poll() is None:
            with contextlib.suppress(Exception):
                os.kill(pid, signal.SIGKILL)
            shell.kill()
            shell.wait(5)
    expected = {"rc=0", "rc=143"} if moment == "exec" else {"rc=0"}  # stopped on purpose: exit 0
    assert out.splitlines()[-1] in expected, out
    assert not url_file.exists()
    if url:  # the port is released
        with pytest.raises(httpx.ConnectError):
            httpx.get(url + "/_mock/health", timeout=2)


# ── --state-file and --journal-file (issue 16) ──────────────────────────────


def _serve_json(*args: str) -> tuple[subprocess.Popen[str], dict, Lines]:
    proc = subprocess.Popen(
        [*COMMAND, "serve", "--port", "0", "--json", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    lines = Lines(proc)
    try:
        return proc, json.loads(lines.next(START_TIMEOUT)), lines
    except BaseException:
        proc.kill()
        raise


def _stop(proc: subprocess.Popen[str]) -> str:
    proc.send_signal(signal.SIGTERM)
    try:
        assert proc.wait(timeout=15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    return proc.stderr.read()


def test_state_file_brings_the_world_back_after_a_restart_and_journal_file_streams_requests(tmp_path):
    state, journal = tmp_path / "state.json", tmp_path / "journal.jsonl"
    proc, first, _ = _serve_json("--clock", "manual", "--state-file", str(state), "--journal-file", str(journal))
    with httpx.Client(base_url=first["url"], timeout=10, headers={"x-api-key": first["apiKey"]}) as http:
        queue = http.post(
            "/api/auto-apply-v2/apply", json={"jobId": "~022053140178050136031", "coverLetter": "Hi"}
        ).json()["queueId"]
        http.post("/_mock/clock/advance", json={"seconds": 3})
        assert http.get("/api/auto-apply-v2/status", params={"queueId": queue}).status_code == 200
        http.put("/_mock/accounts/sk_state_file", json={"credits": 4})
        before = {p: http.get(p).json() for p in ("/_mock/state", "/_mock/requests", "/_mock/scenarios")}
    err = _stop(proc)
    assert f"  state: {state} (none yet: saved on a clean stop)\n" in err and f"  state saved to {state}\n" in err
    streamed = [json.loads(line) for line in journal.read_text().splitlines()]
    assert streamed == before["/_mock/requests"]["requests"]  # one line per answered request, same shape
    assert [e["operationId"] for e in streamed] == ["applyToJob", "getApplicationStatus"]

    proc, second, _ = _serve_json("--clock", "manual", "--state-file", str(state))
    try:
        with httpx.Client(base_url=second["url"], timeout=10) as http:
            after = {p: http.get(p).json() for p in ("/_mock/state", "/_mock/requests", "/_mock/scenarios")}
            assert after == before
            assert second["clock"]["now"] == 1_767_225_603_000  # the restored clock, in the JSON line too
            # and it goes on as the first one would have: the application completes on schedule
            http.post("/_mock/clock/advance", json={"seconds": 300})
            assert http.get("/_mock/accounts/sk_uphunt_demo_key").json()["credits"]["spent"] == 2
    finally:
        err = _stop(proc)
    assert f"  state: restored from {state} (" in err


def test_a_bad_state_file_exits_2_and_says_so(tmp_path, capsys):
    state = tmp_path / "state.json"
    state.write_text('{"format": "uphunt-mock-snapshot/1", "vendor": "uphunt", "version": "0.0.0", "inputs": []}')
    assert main(["serve", "--port", "0", "--clock", "manual", "--state-file", str(state)]) == 2
    err = capsys.readouterr().err
    assert err == (
        f"uphunt-mock: cannot restore --state-file {state}: the snapshot was taken by uphunt-mock 0.0.0; this is "
        f"{__version__} (a restore replays the inputs through the code, so it is exact only on the same version) "
        "(delete it to start afresh)\n"
    )
