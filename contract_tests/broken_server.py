"""A deliberately broken UpHunt mock, for proving that drift is caught.

    python contract_tests/broken_server.py     # prints "... serving the UpHunt API at http://127.0.0.1:PORT"

Status records lose their required `applicationStatusMessage` field; everything else is the
normal mock (default world, manual clock).
"""

from __future__ import annotations

from typing import Any

import uvicorn

from mock_server.core.app import create_app
from mock_server.core.runtime import Runtime
from mock_server.core.serving import bind_socket
from mock_server.vendors.uphunt import handlers

DROPPED_FIELD = "applicationStatusMessage"


def break_status_records() -> None:
    original = handlers.HANDLERS["getApplicationStatus"]

    def broken(ctx: Any) -> tuple[int, Any]:
        status, body = original(ctx)
        return status, {k: v for k, v in body.items() if k != DROPPED_FIELD}

    handlers.HANDLERS["getApplicationStatus"] = broken


def main() -> None:
    break_status_records()
    app = create_app(Runtime(clock="manual"))
    sock = bind_socket("127.0.0.1", 0)
    port = sock.getsockname()[1]
    print(f"broken uphunt mock serving the UpHunt API at http://127.0.0.1:{port}", flush=True)
    uvicorn.Server(uvicorn.Config(app, log_level="warning")).run(sockets=[sock])


if __name__ == "__main__":
    main()
