"""A deliberately broken UpHunt mock, for proving that drift is caught.

    python contract_tests/broken_server.py [--defect missing-field|server-error]... [--json]

Prints "... serving the UpHunt API at http://127.0.0.1:PORT" (or, with ``--json``, one JSON line
``{"url": ...}``). Defects (default: missing-field):

* ``missing-field``: status records lose their required `applicationStatusMessage` field;
* ``server-error``: the freelancers list answers 500 (one root cause that also breaks the content
  type and the acceptance of valid requests: `uphunt-mock check` reports it once).

Everything else is the normal mock (default world, manual clock).
"""

from __future__ import annotations

import argparse
import json
from typing import Any

import uvicorn

from mock_server.core.app import create_app
from mock_server.core.runtime import Runtime
from mock_server.core.serving import bind_socket
from mock_server.vendors.uphunt import handlers

DROPPED_FIELD = "applicationStatusMessage"
DEFECTS = ("missing-field", "server-error")


def break_status_records() -> None:
    original = handlers.HANDLERS["getApplicationStatus"]

    def broken(ctx: Any) -> tuple[int, Any]:
        status, body = original(ctx)
        return status, {k: v for k, v in body.items() if k != DROPPED_FIELD}

    handlers.HANDLERS["getApplicationStatus"] = broken


def break_freelancers() -> None:
    def crash(ctx: Any) -> tuple[int, Any]:
        raise RuntimeError("the freelancer directory is down (a defect of the broken server)")

    handlers.HANDLERS["listFreelancers"] = crash


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="A deliberately broken UpHunt mock.")
    parser.add_argument("--defect", action="append", choices=DEFECTS, help="repeatable; default missing-field")
    parser.add_argument("--json", action="store_true", help='print {"url": ...} instead of the banner')
    args = parser.parse_args(argv)
    defects = args.defect or ["missing-field"]
    if "missing-field" in defects:
        break_status_records()
    if "server-error" in defects:
        break_freelancers()
    app = create_app(Runtime(clock="manual"))
    sock = bind_socket("127.0.0.1", 0)
    port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    print(
        json.dumps({"url": url, "defects": defects})
        if args.json
        else f"broken uphunt mock serving the UpHunt API at {url}",
        flush=True,
    )
    uvicorn.Server(uvicorn.Config(app, log_level="critical")).run(sockets=[sock])


if __name__ == "__main__":
    main()
