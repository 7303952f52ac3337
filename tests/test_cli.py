"""`uphunt-mock serve` run as a real subprocess (issue 2): port 0, --config, clean stop, exit codes.

Every wait is bounded; a server that does not answer in time is killed and the test fails.
"""

from __future__ import annotations

import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest

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
    return subprocess.run([*COMMAND, *args], capture_output=True, text=True, timeout=timeout, env={**os.environ, "PYTHONUNBUFFERED": "1"})


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
    assert banner[2].startswith("  clock: manual · docs: " + base + "/docs")
    assert banner[3] == f"  dashboard: {base}/_mock/ui\n"
    with httpx.Client(base_url=base, timeout=10) as http:
        # connecting right after the banner works (the socket listens before the URL is printed)
        assert http.get("/_mock/health").json() == {"status": "ok"}
        assert http.get("/_mock/clock").json()["mode"] == "manual"
        # the --config world is merged over the default one
        r = http.post("/api/auto-apply-v2/apply", headers={"x-api-key": "sk_cli_world"}, json={"jobId": "~022053140178050136031", "coverLetter": "Hi"})
        assert (r.status_code, r.json()["creditsRemaining"]) == (200, 6)
        assert http.get("/_mock/accounts/sk_uphunt_demo_key").status_code == 200
        r = http.post("/api/auto-apply-v2/apply", headers={"x-api-key": "sk_uphunt_demo_key"}, json={"jobId": "~01abc", "coverLetter": "Hi"})
        assert r.status_code == 200
    proc.send_signal(stop_signal)
    assert proc.wait(timeout=10) == 0
    assert lines.rest(5) == "uphunt-mock stopped\n"


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
        (["--config", "{tmp}/nope.yaml"], "uphunt-mock: {tmp}/nope.yaml: cannot read world file: No such file or directory\n"),
        (["--config", "{tmp}/syntax.yaml"], "uphunt-mock: {tmp}/syntax.yaml:2: invalid YAML: expected the node content, but found '<stream end>'\n"),
        (["--config", "{tmp}/refs.yaml"], "uphunt-mock: {tmp}/refs.yaml:2: account 'k' names unknown agency 'nowhere'\n"),
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
    for flag in ("--host", "--port", "--config", "--scenario", "--clock", "--seed"):
        assert flag in out
