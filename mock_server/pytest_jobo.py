"""The pytest plugin's Jobo fixtures (registered by :mod:`mock_server.pytest_plugin`).

    def test_sync(jobo_mock):
        jobo_mock.load_library("feed-under-load")
        my_sync(jobo_mock.base_url, jobo_mock.api_key, sleep=jobo_mock.sleep)
        assert_client_behaved(jobo_mock)            # from mock_server.testing.jobo

Fixtures:

* ``jobo_mock`` (function scope): a :class:`~mock_server.testing.jobo.JoboMock` on a Jobo mock in
  a known state: the world as loaded, the clock back at its start, the journal empty, only the
  default scenarios loaded. One server per configuration (world, clock, seed) for the whole
  session, reset before each test that uses it, so a marker's world costs one start-up, not one
  per test.
* ``jobo_mock_session`` (session scope): the default configuration's server, not reset between
  the tests that use it directly.

Marker: ``@pytest.mark.jobo_mock(world="world.yaml", scenarios=["scenarios/jobo/x.yaml", {...}],
clock="manual", api_key="...", seed=N)``. Options: ``--jobo-mock-world``, ``--jobo-mock-scenario``
(repeatable), ``--jobo-mock-clock``. Heavy imports happen when a fixture is first used.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from .pytest_markers import marker_config, relative_to_test

if TYPE_CHECKING:
    from .testing import MockServer
    from .testing.jobo import JoboMock

MARKER = "jobo_mock"
_MARKER_KEYS = {"world", "scenarios", "clock", "api_key", "seed"}


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup("jobo-mock", "Jobo mock server (jobo_mock fixture)")
    group.addoption("--jobo-mock-world", metavar="WORLD.yaml", default=None,
                    help="world file for the jobo_mock fixtures (default: the built-in Jobo world)")  # fmt: skip
    group.addoption("--jobo-mock-scenario", metavar="FILE", action="append", default=[],
                    help="scenario file loaded into every jobo_mock fixture (repeatable)")  # fmt: skip
    group.addoption("--jobo-mock-clock", metavar="CLOCK", default="manual",
                    help="clock of the jobo_mock fixtures: manual (default), real or scale=F")  # fmt: skip


def add_marker(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(world=None, scenarios=(), clock=None, api_key=None, seed=None): configure the jobo_mock "
        "fixture for this test (each configuration gets one server for the session, reset before every test)",
    )


class _Servers:
    """The session's Jobo servers, one per (world, clock, seed), started on first use."""

    def __init__(self) -> None:
        self.servers: dict[tuple[str | None, str, int | None], MockServer] = {}

    def get(self, world: str | Path | None, clock: str, seed: int | None) -> MockServer:
        key = (str(world) if world is not None else None, clock, seed)
        if key not in self.servers:
            from .testing import MockServer

            self.servers[key] = MockServer(world=world, clock=clock, seed=seed, vendor="jobo").start()
        return self.servers[key]

    def stop(self) -> None:
        for server in self.servers.values():
            server.stop()
        self.servers.clear()


@pytest.fixture(scope="session")
def _jobo_mock_servers() -> Iterator[_Servers]:
    servers = _Servers()
    try:
        yield servers
    finally:
        servers.stop()


def _options(config: pytest.Config) -> dict[str, Any]:
    return {
        "world": config.getoption("--jobo-mock-world"),
        "scenarios": list(config.getoption("--jobo-mock-scenario")),
        "clock": config.getoption("--jobo-mock-clock"),
    }


@pytest.fixture(scope="session")
def jobo_mock_session(pytestconfig: pytest.Config, _jobo_mock_servers: _Servers) -> Iterator[JoboMock]:
    """The default configuration's Jobo server for the whole session (per xdist worker); not reset."""
    from .testing.jobo import JoboMock

    opts = _options(pytestconfig)
    server = _jobo_mock_servers.get(opts["world"], opts["clock"], None)
    handle = JoboMock(server.base_url, server=server)
    handle.default_scenarios = list(opts["scenarios"])
    try:
        for scenario in handle.default_scenarios:
            handle.load_scenario(scenario)
        yield handle
    finally:
        handle.close()


@pytest.fixture
def jobo_mock(
    request: pytest.FixtureRequest, pytestconfig: pytest.Config, _jobo_mock_servers: _Servers
) -> Iterator[JoboMock]:
    """A Jobo mock in a known state for this test: the world as loaded (the marker's, if any), clock at its start."""
    from .testing.jobo import JoboMock

    conf = marker_config(request, MARKER, _MARKER_KEYS)
    opts = _options(pytestconfig)
    here = Path(request.node.path).parent
    world = relative_to_test(conf["world"], here) if conf.get("world") else opts["world"]
    server = _jobo_mock_servers.get(world, conf.get("clock") or opts["clock"], conf.get("seed"))
    handle = JoboMock(server.base_url, api_key=conf.get("api_key") or JoboMock.DEMO_KEY, server=server)
    handle.default_scenarios = list(opts["scenarios"]) + [
        relative_to_test(s, here) for s in conf.get("scenarios") or ()
    ]
    try:
        handle.reset()
        yield handle
    finally:
        handle.close()
