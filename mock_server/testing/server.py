"""The mock as a server in a background thread, for tests (:func:`serve`, :class:`MockServer`)."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..vendors.uphunt.world import DEMO_API_KEY
from .handle import UpHuntMock


class MockServer:
    """A real HTTP server (``serving.DEFAULT_SERVER``: granian unless ``UPHUNT_MOCK_SERVER`` says uvicorn) for one :class:`~mock_server.core.runtime.Runtime`, in a daemon thread.

    Binds 127.0.0.1 on a free port before the thread starts, so the port is
    known at once and two servers (e.g. two xdist workers) can never collide.
    """

    def __init__(
        self,
        world: str | Path | None = None,
        clock: str = "manual",
        seed: int | None = None,
        control_token: str | None = None,
        vendor: str = "uphunt",
    ) -> None:
        self.world = world
        self.clock = clock
        self.seed = seed
        self.control_token = control_token  # /_mock/* then needs X-Mock-Control-Token; handles send it
        self.vendor = vendor
        self.base_url = ""
        self.runtime: Any = None  # the in-process Runtime, for white-box tests; the handle never needs it
        self._thread: Any = None

    def start(self, timeout: float = 10.0) -> MockServer:
        from ..core.app import create_app
        from ..core.runtime import Runtime
        from ..core.serving import ServerThread
        from ..core.vendor import get_vendor

        _quiet_dropped_connections()
        world = get_vendor(self.vendor).load_world(self.world, self.seed)
        self.runtime = Runtime(world, clock=self.clock)
        self.runtime.control_token = self.control_token
        self._thread = ServerThread(create_app(self.runtime), startup_timeout=timeout).start()
        self.base_url = self._thread.base_url
        return self

    def stop(self, timeout: float = 5.0) -> None:
        if self._thread is not None:
            self._thread.stop(timeout)
            self._thread = None

    def handle(self, api_key: str | None = None) -> UpHuntMock:
        """A handle on this server: :class:`UpHuntMock`, or :class:`~mock_server.testing.jobo.JoboMock` for Jobo."""
        if self.vendor == "jobo":
            from .jobo.handle import JoboMock

            return JoboMock(
                self.base_url, api_key=api_key or JoboMock.DEMO_KEY, server=self, control_token=self.control_token
            )
        return UpHuntMock(self.base_url, api_key=api_key or DEMO_API_KEY, server=self, control_token=self.control_token)

    def __enter__(self) -> MockServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class _DroppedConnectionFilter(logging.Filter):
    """uvicorn logs an ERROR for every connection a scenario drops on purpose; tests expect those."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "returned without completing response" not in record.getMessage()


def _quiet_dropped_connections() -> None:
    log = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, _DroppedConnectionFilter) for f in log.filters):
        log.addFilter(_DroppedConnectionFilter())


@contextmanager
def serve(
    world: str | Path | None = None,
    scenarios: Sequence[str | Path | dict[str, Any]] = (),
    clock: str = "manual",
    seed: int | None = None,
    api_key: str | None = None,
    vendor: str = "uphunt",
    control_token: str | None = None,
) -> Iterator[UpHuntMock]:
    """Start a mock, yield its handle (scenarios loaded), stop it::

        with serve() as mock:
            httpx.post(mock.base_url + "/api/auto-apply-v2/apply", headers=mock.headers, json={...})

    ``vendor="jobo"`` serves the Jobo API and yields a :class:`~mock_server.testing.jobo.JoboMock`.
    """
    with MockServer(world=world, clock=clock, seed=seed, vendor=vendor, control_token=control_token) as server:
        mock = server.handle(api_key)
        try:
            for scenario in scenarios:
                mock.load_scenario(scenario)
            yield mock
        finally:
            mock.close()
