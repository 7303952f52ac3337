"""pytest plugin (entry point ``pytest11``): a running UpHunt mock as a fixture.

    def test_apply(uphunt_mock):
        res = httpx.post(uphunt_mock.base_url + "/api/auto-apply-v2/apply",
                         headers=uphunt_mock.headers, json={"jobId": "~022053140178050136031", "coverLetter": "Hi"})
        assert res.status_code == 200
        uphunt_mock.settle()
        assert uphunt_mock.account()["credits"]["spent"] == 1

Fixtures:

* ``uphunt_mock`` (function scope): a handle (:class:`mock_server.testing.UpHuntMock`) on a
  mock with a fresh default world on the manual clock. It reuses the session's server,
  reset before the test, unless the ``uphunt_mock`` marker asks for another world or clock,
  in which case the test gets a server of its own, stopped after it.
* ``uphunt_mock_session`` (session scope): the shared server; it is not reset between the
  tests that use it directly.
* ``uphunt_mock_webhooks`` (function scope): a :class:`mock_server.testing.WebhookReceiver` on
  127.0.0.1 whose URL the test's account (``uphunt_mock.api_key``) gets as its ``webhookUrl``:
  the events received, their delivery ids, duplicates, and ``fail_next(n, "500"|"timeout"|"close")``.

A failing test that used the mock gets a report section "uphunt-mock journal": every request the
mock answered (simulated time, operation, status, matched scenario rule), the last 60 at most.

Marker: ``@pytest.mark.uphunt_mock(world="world.yaml", scenarios=["scenarios/x.yaml", {...}],
clock="manual", api_key="...")``. Options: ``--uphunt-mock-world``, ``--uphunt-mock-scenario``
(repeatable), ``--uphunt-mock-clock``.

The Jobo vendor has its own fixtures, ``jobo_mock`` and ``jobo_mock_session`` (marker ``jobo_mock``,
options ``--jobo-mock-*``): see :mod:`mock_server.pytest_jobo`.

Under pytest-xdist every worker is its own process, so each gets its own server on its own
free port; nothing is shared. Heavy imports (uvicorn, the app) happen only when a fixture is
first used, so merely having the plugin installed costs nothing.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from . import pytest_jobo
from .pytest_jobo import _jobo_mock_servers, jobo_mock, jobo_mock_session  # noqa: F401  (the Jobo fixtures)
from .pytest_markers import marker_config, relative_to_test

if TYPE_CHECKING:
    from .testing import MockServer, UpHuntMock, WebhookReceiver

_MARKER = "uphunt_mock"
_MARKER_KEYS = {"world", "scenarios", "clock", "api_key", "seed"}


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("uphunt-mock", "UpHunt mock server (uphunt_mock fixture)")
    group.addoption(
        "--uphunt-mock-world",
        metavar="WORLD.yaml",
        default=None,
        help="world file for the uphunt_mock fixtures (default: the built-in demo world)",
    )
    group.addoption(
        "--uphunt-mock-scenario",
        metavar="FILE",
        action="append",
        default=[],
        help="scenario file loaded into every uphunt_mock fixture (repeatable)",
    )
    group.addoption(
        "--uphunt-mock-clock",
        metavar="CLOCK",
        default="manual",
        help="clock of the uphunt_mock fixtures: manual (default), real or scale=F",
    )
    group.addoption(
        "--uphunt-mock-control-token",
        metavar="TOKEN",
        default=os.environ.get("UPHUNT_MOCK_CONTROL_TOKEN"),
        help="start the fixtures' mocks with this control token (default: $UPHUNT_MOCK_CONTROL_TOKEN)",
    )
    pytest_jobo.add_options(parser)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "uphunt_mock(world=None, scenarios=(), clock=None, api_key=None, seed=None): "
        "configure the uphunt_mock fixture for this test (a world or clock other than the session's "
        "starts a dedicated server)",
    )
    pytest_jobo.add_marker(config)


def _options(config: pytest.Config) -> dict[str, Any]:
    return {
        "world": config.getoption("--uphunt-mock-world"),
        "scenarios": list(config.getoption("--uphunt-mock-scenario")),
        "clock": config.getoption("--uphunt-mock-clock"),
        "control_token": config.getoption("--uphunt-mock-control-token"),
    }


def _start(world: Any, clock: str, seed: int | None = None, control_token: str | None = None) -> MockServer:
    from .testing import MockServer

    return MockServer(world=world, clock=clock, seed=seed, control_token=control_token).start()


@pytest.fixture(scope="session")
def uphunt_mock_session(pytestconfig: pytest.Config) -> Iterator[UpHuntMock]:
    """One mock server for the whole session (per xdist worker), configured by the command-line options."""
    opts = _options(pytestconfig)
    server = _start(opts["world"], opts["clock"], control_token=opts["control_token"])
    handle = server.handle()
    handle.default_scenarios = list(opts["scenarios"])
    try:
        for scenario in handle.default_scenarios:
            handle.load_scenario(scenario)
        yield handle
    finally:
        handle.close()
        server.stop()


@pytest.fixture
def uphunt_mock(request: pytest.FixtureRequest, pytestconfig: pytest.Config) -> Iterator[UpHuntMock]:
    """A mock in a known state for this test: fresh default world (or the marker's), manual clock."""
    from .testing import UpHuntMock as Handle
    from .vendors.uphunt.world import DEMO_API_KEY

    conf = marker_config(request, _MARKER, _MARKER_KEYS)
    opts = _options(pytestconfig)
    here = Path(request.node.path).parent
    scenarios = list(opts["scenarios"]) + [relative_to_test(s, here) for s in conf.get("scenarios") or ()]
    api_key = conf.get("api_key") or DEMO_API_KEY
    world = relative_to_test(conf["world"], here) if conf.get("world") else opts["world"]
    clock = conf.get("clock") or opts["clock"]
    if world == opts["world"] and clock == opts["clock"] and conf.get("seed") is None:
        shared: UpHuntMock = request.getfixturevalue("uphunt_mock_session")
        handle = Handle(shared.base_url, api_key=api_key, server=shared.server)
        handle.default_scenarios = scenarios
        try:
            handle.reset()
            yield handle
        finally:
            handle.close()
        return
    server = _start(
        world, clock, conf.get("seed"), opts["control_token"]
    )  # this test needs a world or clock of its own
    handle = server.handle(api_key)
    handle.default_scenarios = scenarios
    try:
        for scenario in scenarios:
            handle.load_scenario(scenario)
        yield handle
    finally:
        handle.close()
        server.stop()


@pytest.fixture(scope="session")
def _uphunt_mock_receiver() -> Iterator[WebhookReceiver]:
    from .testing import WebhookReceiver

    with WebhookReceiver() as receiver:
        yield receiver


@pytest.fixture
def uphunt_mock_webhooks(uphunt_mock: UpHuntMock, _uphunt_mock_receiver: WebhookReceiver) -> Iterator[WebhookReceiver]:
    """A recording webhook receiver, already the ``webhookUrl`` of the test's account."""
    receiver = _uphunt_mock_receiver
    receiver.clear()
    uphunt_mock.put_account(webhookUrl=receiver.url)
    try:
        yield receiver
    finally:
        receiver.clear()


JOURNAL_SECTION = "uphunt-mock journal"
JOURNAL_LINES = 60


# The fixtures whose journal a failing test's report shows (the first one the test used).
_HANDLE_FIXTURES = ("uphunt_mock", "uphunt_mock_session", "jobo_mock", "jobo_mock_session")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """A failing test that used the mock: add its journal to the report (pytest prints it under the failure)."""
    report = yield
    if report.when == "call" and report.failed:
        funcargs = getattr(item, "funcargs", {})
        handle = next((funcargs[name] for name in _HANDLE_FIXTURES if funcargs.get(name) is not None), None)
        if handle is not None:
            report.sections.append((JOURNAL_SECTION, journal_section(handle)))
    return report


def journal_section(handle: UpHuntMock) -> str:
    """The journal as a failure report shows it: simulated seconds, operation, request, status, rule."""
    try:
        log = handle.requests
    except Exception as exc:  # the mock itself may be what broke
        return f"(journal unavailable: {type(exc).__name__}: {exc})"
    if not log:
        return "(no API request reached the mock)"
    t0 = log[0].time
    shown = list(log)[-JOURNAL_LINES:]
    lines = [f"{len(log)} request(s); times are simulated seconds after the first ({log[0].time:.3f})"]
    if len(log) > len(shown):
        lines.append(f"... {len(log) - len(shown)} earlier request(s) not shown")
    for r in shown:
        what = r.queue_id or r.job_id or ""
        rule = f"  [rule {r.matched_rule}]" if r.matched_rule else ""
        status = "dropped" if r.status == 0 else str(r.status)
        lines.append(
            f"  +{r.time - t0:9.3f} s  {r.operation_id or '-':<22} {r.method} {r.path} {what} -> {status}{rule}".rstrip()
        )
    return "\n".join(lines)
