"""`uphunt-mock`: serve a simulated API, check a server against its spec, verify a client's traffic.

    uphunt-mock serve [--vendor NAME] [--host 127.0.0.1] [--port 8080] [--config WORLD.yaml]
                      [--scenario FILE|NAME]... [--clock real|manual|scale=F] [--seed N]
                      [--url-file PATH] [--json] [--journal-file OUT.jsonl] [--state-file STATE.json]

Prints the base URL and the demo API key, serves until SIGINT (Ctrl-C) or SIGTERM, exits 0.
``--port 0`` picks a free port and prints it; ``--json`` prints one JSON line instead (on stdout,
the human lines go to stderr) and ``--url-file`` writes the URL to a file, both once the server
accepts connections. A bad world or scenario file is reported as ``FILE:LINE: reason`` with exit
code 2.

SIGINT and SIGTERM stop the server at any moment, start-up included: ``main`` installs its handler
as its first statement, because a shell without job control (a CI script's ``cmd &``) starts
background jobs with SIGINT *ignored*, and Python keeps an ignored SIGINT ignored.
"""

from __future__ import annotations

# Only what installing a signal handler needs at import time (a few ms): `main` installs its
# handlers first, and everything slower (argparse, the app, uvicorn) is imported after that.
import contextlib
import os
import signal
import sys
import threading
from typing import TYPE_CHECKING, Any

from . import __version__

if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable, Iterator, Sequence
    from pathlib import Path
    from typing import TextIO

    from .core.runtime import Runtime

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)

# Subcommands added by other modules (e.g. `check`): name -> (help, configure parser, run).
EXTRA_COMMANDS: dict[
    str, tuple[str, Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]
] = {}


class StartupInterrupted(KeyboardInterrupt):
    """SIGINT or SIGTERM arrived before the server ran: stop at once, exit 0."""


class _Stopper:
    """The SIGINT/SIGTERM handler of `serve`, from the first line of `main` to the end.

    Before the server runs it aborts start-up at once (:class:`StartupInterrupted`); once the
    server exists it asks it to shut down gracefully (granian, the default server, leaves this
    handler in place). uvicorn installs its own handlers while it runs;
    :class:`~mock_server.core.serving.QuietExitServer` keeps those from re-raising the signal
    after the graceful shutdown (which would make the exit code 130/143).
    """

    def __init__(self) -> None:
        self.server: Any = None
        self.requested = False

    def __call__(self, sig: int, _frame: Any) -> None:
        self.requested = True
        if self.server is None:
            raise StartupInterrupted(signal.Signals(sig).name)
        self.server.should_exit = True

    @contextlib.contextmanager
    def installed(self) -> Iterator[_Stopper]:
        if threading.current_thread() is not threading.main_thread():
            yield self  # in-process use from a thread: the caller owns the signals
            return
        previous = {sig: signal.signal(sig, self) for sig in STOP_SIGNALS}
        try:
            yield self
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def _serve_parser(sub: argparse._SubParsersAction, vendors: str) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "serve",
        help="serve a simulated API (UpHunt by default)",
        description="Serve a simulated API until SIGINT or SIGTERM.",
    )
    p.add_argument("--vendor", default="uphunt", help=f"which API to simulate: {vendors} (default uphunt)")
    p.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8080, help="port (default 8080; 0 picks a free port)")
    p.add_argument("--config", metavar="WORLD.yaml", help="world file merged over the default world")
    p.add_argument(
        "--scenario",
        metavar="FILE|NAME",
        action="append",
        default=[],
        help="scenario file, or the name of a ready-made one (`uphunt-mock scenarios` lists them); repeatable",
    )
    p.add_argument("--clock", default="real", help="real | manual | scale=F (F real seconds per simulated second)")
    p.add_argument("--seed", type=int, default=None, help="seed for generated data and random outcomes")
    p.add_argument("--log-level", default="warning", help="the HTTP server's log level (default warning)")
    p.add_argument(
        "--server",
        choices=("granian", "uvicorn"),  # serving.SERVERS, without importing the servers to parse arguments
        default=None,
        help="HTTP server: granian (default; Rust HTTP, the fastest in bench/RESULTS.md) or uvicorn (httptools + uvloop; "
        "answers refused request heads in JSON); both hold connections to the limits of docs/security.md "
        "(default: $UPHUNT_MOCK_SERVER, else granian)",
    )
    p.add_argument(
        "--control-token",
        default=os.environ.get(CONTROL_TOKEN_ENV) or None,
        metavar="TOKEN",
        help=f"require the header X-Mock-Control-Token: TOKEN on /_mock/* (default: ${CONTROL_TOKEN_ENV}, else no token)",
    )
    p.add_argument(
        "--url-file",
        metavar="PATH",
        help="write the base URL to PATH once the server accepts connections (removed on exit)",
    )
    p.add_argument(
        "--json",
        action="store_true",
        help="print one JSON line on stdout once the server accepts connections "
        "(url, port, pid, vendor, clock, apiKey, version); the human lines go to stderr",
    )
    p.add_argument(
        "--journal-file",
        metavar="OUT.jsonl",
        help="write every API request as one JSON line (the GET /_mock/requests entry) as it is answered",
    )
    p.add_argument(
        "--state-file",
        metavar="STATE.json",
        help="restore the world from this snapshot at start if it exists, save it there on a clean stop",
    )


def build_runtime(args: argparse.Namespace) -> Runtime:  # Runtime is imported lazily to keep --help fast
    from .core import scenarios
    from .core.clock import parse_clock
    from .core.runtime import Runtime
    from .core.scenarios import library
    from .core.vendor import get_vendor

    parse_clock(args.clock)
    vendor = get_vendor(getattr(args, "vendor", None))
    world = vendor.load_world(args.config, args.seed)
    runtime = Runtime(world, clock=args.clock)
    for ref in args.scenario:  # a file, or a name in the vendor's scenario library
        scenarios.load_file(runtime, library.resolve(ref, vendor.name))
    return runtime


def serve(args: argparse.Namespace, stopper: _Stopper | None = None) -> int:
    """Run `serve`; ``stopper`` is the handler `main` installed already (None: install one here)."""
    if stopper is None:
        stopper = _Stopper()
        with stopper.installed():
            return serve(args, stopper)
    try:
        return _serve(args, stopper)
    except StartupInterrupted:
        _remove_url_file(args)
        print("uphunt-mock stopped", file=sys.stderr if args.json else sys.stdout, flush=True)
        return 0


def _serve(args: argparse.Namespace, stopper: _Stopper) -> int:
    import json
    from pathlib import Path

    from .core import gc_policy
    from .core.app import create_app
    from .core.serving import DEFAULT_SERVER, bind_socket, make_server

    human: TextIO = sys.stderr if args.json else sys.stdout
    _remove_url_file(args)  # a stale file from an earlier run must not be mistaken for this one
    runtime = build_runtime(args)
    runtime.control_token = getattr(args, "control_token", None)
    if not _is_loopback(args.host):
        print(_exposed_warning(args.host, bool(runtime.control_token)), file=sys.stderr, flush=True)
    app = create_app(runtime)
    state_note = _restore_state(runtime, args.state_file) if args.state_file else None
    journal_file = _open_journal_file(runtime, args.journal_file) if args.journal_file else None
    try:
        sock = bind_socket(args.host, args.port)
    except OSError as exc:
        print(f"uphunt-mock: cannot listen on {args.host}:{args.port}: {exc.strerror}", file=sys.stderr)
        return 2
    sock.listen(2048)  # connections queue from the moment the URL is printed (uvicorn accepts them once started)
    port = sock.getsockname()[1]
    host = f"[{args.host}]" if ":" in args.host else args.host
    url = f"http://{host}:{port}"
    vendor = runtime.vendor
    print(f"uphunt-mock {__version__} serving the {vendor.title} API at {url}", file=human, flush=True)
    print(f"  demo API key: {vendor.demo_api_key}", file=human, flush=True)
    print(f"  clock: {args.clock} | docs: {url}/docs | control: {url}/_mock/health", file=human, flush=True)
    for loaded in runtime.scenarios.list():
        print(
            f"  scenario: {loaded['name']} ({loaded['source']}, {len(loaded['rules'])} rule(s))", file=human, flush=True
        )
    if state_note:
        print(f"  state: {state_note}", file=human, flush=True)
    if journal_file is not None:
        print(f"  journal file: {args.journal_file}", file=human, flush=True)
    print(f"  dashboard: {url}/_mock/ui", file=human, flush=True)
    if runtime.control_token:
        print("  control API: X-Mock-Control-Token required (except /_mock/health)", file=human, flush=True)
    _raise_fd_limit()
    gc_policy.install()  # the world, and what traffic adds to it, out of the collector's pauses
    runtime.reset_hooks.append(gc_policy.collect_and_freeze)

    def announce() -> None:
        """The server accepts connections: tell scripts (url file, JSON line)."""
        if args.url_file:
            _write_atomically(Path(args.url_file), url + "\n")
        if args.json:
            line = {
                "url": url,
                "port": port,
                "pid": os.getpid(),
                "vendor": vendor.name,
                "clock": runtime.clock_info(),
                "apiKey": vendor.demo_api_key,
                "version": __version__,
            }
            sys.stdout.write(json.dumps(line, separators=(",", ":")) + "\n")
            sys.stdout.flush()

    # No access log: the request journal (GET /_mock/requests) records every request already.
    server = make_server(args.server or DEFAULT_SERVER, app, log_level=args.log_level, on_started=announce)
    server.should_exit = stopper.requested
    stopper.server = server
    try:
        server.run(sockets=[sock])
    finally:
        _remove_url_file(args)
        if journal_file is not None:
            journal_file.close()
    if args.state_file:
        _save_state(runtime, args.state_file, human)
    print("uphunt-mock stopped", file=human, flush=True)
    return 0


CONTROL_TOKEN_ENV = "UPHUNT_MOCK_CONTROL_TOKEN"


def _is_loopback(host: str) -> bool:
    import ipaddress

    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to anything


def _exposed_warning(host: str, has_token: bool) -> str:
    """The loud banner for ``--host`` on a non-loopback address (docs/security.md)."""
    control = (
        "The control API (/_mock/*) needs the X-Mock-Control-Token you set."
        if has_token
        else "The control API (/_mock/*) has NO authentication: anyone who reaches this port can reset the world, "
        "load scenarios, read the state and the request journal. Pass --control-token TOKEN (or set "
        f"{CONTROL_TOKEN_ENV}) or bind 127.0.0.1."
    )
    bar = "!" * 78
    return (
        f"{bar}\nWARNING: uphunt-mock is listening on {host}, not only on this machine's loopback.\n"
        f"It is a test double: plain HTTP, fake keys, no hardening against a hostile network.\n{control}\n{bar}"
    )


def _raise_fd_limit() -> None:
    """Use the hard limit on open files: a soft limit of 1024 runs out with ~1,000 client connections."""
    try:
        import resource
    except ImportError:  # pragma: no cover - not on Windows
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = 65536 if hard == resource.RLIM_INFINITY else min(hard, 65536)
    if soft < target:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


def _restore_state(runtime: Any, path: str) -> str:
    """``--state-file``: the snapshot saved by the last clean stop, if any. A refusal stops the start (exit 2)."""
    import json
    from pathlib import Path

    from .core.snapshot import SnapshotError

    file = Path(path)
    if not file.exists():
        runtime.snapshot()  # a vendor without snapshots is refused now (exit 2), not at the stop
        return f"{path} (none yet: saved on a clean stop)"
    try:
        document = json.loads(file.read_text(encoding="utf-8"))
        result = runtime.restore(document)
    except (OSError, ValueError) as exc:  # SnapshotError and JSON errors are ValueErrors
        reason = exc.strerror if isinstance(exc, OSError) else str(exc)
        raise SnapshotError(400, f"cannot restore --state-file {path}: {reason} (delete it to start afresh)") from None
    return f"restored from {path} ({result['inputs']} inputs; the world as it was at the last stop)"


def _save_state(runtime: Any, path: str, human: TextIO) -> None:
    import json
    from pathlib import Path

    from .core.snapshot import SnapshotError

    try:
        document = runtime.snapshot()
    except SnapshotError as exc:
        print(f"uphunt-mock: state not saved to {path}: {exc}", file=sys.stderr, flush=True)
        return
    _write_atomically(Path(path), json.dumps(document, separators=(",", ":"), ensure_ascii=False))
    print(f"  state saved to {path}", file=human, flush=True)


def _open_journal_file(runtime: Any, path: str) -> Any:
    """``--journal-file``: one JSON line per answered API request, line-buffered (a CI artifact survives a kill)."""
    import json

    stream = open(path, "w", encoding="utf-8", buffering=1)  # noqa: SIM115 - closed when the server stops
    encode = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode

    def write(entry: Any) -> None:
        stream.write(encode(entry.as_dict()) + "\n")

    runtime.journal_sinks.append(write)
    return stream


def _write_atomically(path: Path, text: str) -> None:
    """Readers see the whole URL or no file at all, never half a line."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _remove_url_file(args: argparse.Namespace) -> None:
    if getattr(args, "url_file", None):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(args.url_file)


def _parser() -> argparse.ArgumentParser:
    import argparse

    from . import verify
    from .core import check
    from .core.scenarios import library
    from .core.vendor import available

    parser = argparse.ArgumentParser(
        prog="uphunt-mock", description="Local stateful simulator of auto-apply APIs (UpHunt, Jobo)."
    )
    parser.add_argument("--version", action="version", version=f"uphunt-mock {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="{serve,check,verify,scenarios}")
    _serve_parser(sub, ", ".join(available()))
    EXTRA_COMMANDS.setdefault(
        "check",
        ("check a server (the real API, a proxy, the mock) against the spec", check.configure_parser, check.main),
    )
    EXTRA_COMMANDS.setdefault("verify", (verify.HELP, verify.configure_parser, verify.main))
    EXTRA_COMMANDS.setdefault("scenarios", (library.HELP, library.configure_parser, library.main))
    for name, (help_text, configure, _run) in EXTRA_COMMANDS.items():
        configure(sub.add_parser(name, help=help_text, description=help_text[:1].upper() + help_text[1:] + "."))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    stopper = _Stopper()
    with stopper.installed():  # first: SIGINT/SIGTERM during the imports below stop the process too
        try:
            args = _parser().parse_args(argv)
            if args.command == "serve":
                return _run(lambda: serve(args, stopper))
        except StartupInterrupted:
            return 0
        with _plain_signals():  # other commands: Ctrl-C is a KeyboardInterrupt, SIGTERM the default
            return _run(lambda: EXTRA_COMMANDS[args.command][2](args))


@contextlib.contextmanager
def _plain_signals() -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {
        signal.SIGINT: signal.signal(signal.SIGINT, signal.default_int_handler),
        signal.SIGTERM: signal.signal(signal.SIGTERM, signal.SIG_DFL),
    }
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _run(command: Callable[[], int]) -> int:
    from .core.yaml_source import SourceError

    try:
        return command()
    except SourceError as exc:
        print(f"uphunt-mock: {exc}", file=sys.stderr)
        return 2
    except ValueError as exc:
        print(f"uphunt-mock: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
