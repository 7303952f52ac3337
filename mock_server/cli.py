"""`uphunt-mock`: serve the mock, or check a server against the spec (`uphunt-mock check`).

    uphunt-mock serve [--host 127.0.0.1] [--port 8080] [--config WORLD.yaml]
                      [--scenario FILE]... [--clock real|manual|scale=F] [--seed N]

Prints the base URL and the demo API key, serves until Ctrl-C or SIGTERM,
exits 0. ``--port 0`` picks a free port and prints it. A bad world or
scenario file is reported as ``FILE:LINE: reason`` with exit code 2.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import ipaddress
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from . import __version__
from .core.clock import parse_clock
from .core.vendor import available, get_vendor
from .core.yaml_source import SourceError

# Subcommands added by other modules (e.g. `check`): name -> (configure parser, run).
EXTRA_COMMANDS: dict[str, tuple[Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]] = {}


def _serve_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("serve", help="serve a simulated API (UpHunt by default)")
    p.add_argument("--vendor", default="uphunt", help=f"which API to simulate: {', '.join(available())} (default uphunt)")
    p.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8080, help="port (default 8080; 0 picks a free port)")
    p.add_argument("--config", metavar="WORLD.yaml", help="world file merged over the default world")
    p.add_argument("--scenario", metavar="FILE", action="append", default=[], help="scenario file (repeatable)")
    p.add_argument("--clock", default="real", help="real | manual | scale=F (F real seconds per simulated second)")
    p.add_argument("--seed", type=int, default=None, help="seed for generated data and random outcomes")
    p.add_argument(
        "--control-token",
        default=os.environ.get(CONTROL_TOKEN_ENV) or None,
        metavar="TOKEN",
        help=f"require the header X-Mock-Control-Token: TOKEN on /_mock/* (default: ${CONTROL_TOKEN_ENV}, else no token)",
    )
    p.add_argument("--log-level", default="warning", help="uvicorn log level (default warning)")


def build_runtime(args: argparse.Namespace):  # -> Runtime, imported lazily to keep --help fast
    from .core import scenarios
    from .core.runtime import Runtime

    parse_clock(args.clock)
    vendor = get_vendor(getattr(args, "vendor", None))
    world = vendor.load_world(args.config, args.seed)
    runtime = Runtime(world, clock=args.clock)
    for path in args.scenario:
        scenarios.load_file(runtime, path)
    return runtime


def serve(args: argparse.Namespace) -> int:
    with _StopOnSignal().installed() as stop:
        return _serve(args, stop)


def _serve(args: argparse.Namespace, stop: _StopOnSignal) -> int:
    from .core.app import create_app
    from .core.serving import QuietExitServer, bind_socket, server_config

    runtime = build_runtime(args)
    runtime.control_token = getattr(args, "control_token", None)
    if not _is_loopback(args.host):
        print(_exposed_warning(args.host, bool(runtime.control_token)), file=sys.stderr, flush=True)
    try:
        sock = bind_socket(args.host, args.port)
    except OSError as exc:
        print(f"uphunt-mock: cannot listen on {args.host}:{args.port}: {exc.strerror}", file=sys.stderr)
        return 2
    sock.listen(2048)  # connections queue from the moment the URL is printed (uvicorn accepts them once started)
    port = sock.getsockname()[1]
    host = f"[{args.host}]" if ":" in args.host else args.host
    vendor = runtime.vendor
    print(f"uphunt-mock {__version__} serving the {vendor.title} API at http://{host}:{port}", flush=True)
    print(f"  demo API key: {vendor.demo_api_key}", flush=True)
    print(f"  clock: {args.clock} · docs: http://{host}:{port}/docs · control: http://{host}:{port}/_mock/health", flush=True)
    for loaded in runtime.scenarios.list():
        print(f"  scenario: {loaded['name']} ({loaded['source']}, {len(loaded['rules'])} rule(s))", flush=True)
    if runtime.control_token:
        print("  control API: X-Mock-Control-Token required (except /_mock/health)", flush=True)
    _raise_fd_limit()
    app = create_app(runtime)
    _freeze_world()
    runtime.reset_hooks.append(_freeze_world)
    # No access log: the request journal (GET /_mock/requests) records every request already.
    config = server_config(app, log_level=args.log_level, timeout_graceful_shutdown=2)
    server = stop.server = QuietExitServer(config)
    server.should_exit = stop.requested
    server.run(sockets=[sock])
    print("uphunt-mock stopped", flush=True)
    return 0


CONTROL_TOKEN_ENV = "UPHUNT_MOCK_CONTROL_TOKEN"


def _is_loopback(host: str) -> bool:
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


class _StopOnSignal:
    """Ctrl-C / SIGTERM stop the server and the command exits 0, whenever they arrive.

    Installed before anything slow happens, so a signal during start-up is
    honoured too (the server then stops as soon as it starts). uvicorn's own
    handlers replace these while it runs; QuietExitServer keeps those from
    re-raising the signal after the graceful shutdown (which would exit 130/143).
    """

    def __init__(self) -> None:
        self.server: Any = None
        self.requested = False

    def __call__(self, _sig: int, _frame: Any) -> None:
        self.requested = True
        if self.server is not None:
            self.server.should_exit = True

    @contextlib.contextmanager
    def installed(self) -> Iterator[_StopOnSignal]:
        if threading.current_thread() is not threading.main_thread():
            yield self
            return
        previous = {sig: signal.signal(sig, self) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield self
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def _freeze_world() -> None:
    """Keep the world out of the cyclic GC, and collect the previous one now.

    A world (tens of thousands of objects in a big one) lives until the next reset. Left to
    the GC, every full collection walks all of it, and the first one after a reset also frees
    the old world: pauses of up to hundreds of milliseconds in the middle of traffic (apply
    p99 at 50 connections was ~370 ms, see bench/RESULTS.md). Paying for it inside the serve
    start-up and `POST /_mock/reset` keeps the pauses out of API requests.
    """
    gc.unfreeze()
    gc.collect()
    gc.freeze()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="uphunt-mock", description="Local stateful simulator of auto-apply APIs (UpHunt, Jobo).")
    parser.add_argument("--version", action="version", version=f"uphunt-mock {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    _serve_parser(sub)
    from .core import check  # `uphunt-mock check` (schemathesis is imported only when it runs)

    EXTRA_COMMANDS.setdefault("check", (check.configure_parser, check.main))
    for name, (configure, _run) in EXTRA_COMMANDS.items():
        configure(sub.add_parser(name))
    args = parser.parse_args(argv)
    try:
        if args.command == "serve":
            return serve(args)
        return EXTRA_COMMANDS[args.command][1](args)
    except SourceError as exc:
        print(f"uphunt-mock: {exc}", file=sys.stderr)
        return 2
    except ValueError as exc:
        print(f"uphunt-mock: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
