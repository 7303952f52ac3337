"""Serve an ASGI app under one of the mock's servers, as `uphunt-mock serve --server NAME` would.

    python bench/serve_app.py bench.bare_app:app --server granian --port 8123

The bare endpoint goes through the same code as the mock (``mock_server.core.serving``: the
socket, the server and its settings), so "mock vs bare on the same server" compares the apps
and nothing else. SIGINT/SIGTERM stop it.
"""

from __future__ import annotations

import argparse
import importlib
import signal
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mock_server.core.serving import SERVERS, bind_socket, make_server  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("app", help="module:attribute")
    parser.add_argument("--server", choices=SERVERS, required=True)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    module, _, attr = args.app.partition(":")
    app = getattr(importlib.import_module(module), attr)
    sock = bind_socket("127.0.0.1", args.port)
    sock.listen(2048)
    server = make_server(args.server, app)

    def stop(_sig: int, _frame: object) -> None:
        server.should_exit = True

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, stop)
    server.run(sockets=[sock])


if __name__ == "__main__":
    main()
