"""Connection limits of the mock's HTTP server (issue 13, items 5 and 7, and the low item on plain-text errors).

uvicorn alone accepted a 16 MiB header, never closed a connection that sent nothing (1,100 of
them refused every new client under ``ulimit -n 1024``) nor one that trickled its headers, and
answered malformed requests in plain text. Tests talk raw HTTP over a socket to a server on
127.0.0.1 with short limits; each wait on the socket is bounded far above those limits.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator

import pytest

from mock_server.core.app import create_app
from mock_server.core.runtime import Runtime
from mock_server.core.serving import MAX_HEAD_BYTES, ServerThread

HEALTH = b"GET /_mock/health HTTP/1.1\r\nHost: x\r\n"
WAIT = 10.0  # seconds a test waits on the socket: far above the 0.3 s head timeout below


@pytest.fixture(scope="module")
def port() -> Iterator[int]:
    with ServerThread(create_app(Runtime(clock="manual")), head_timeout=0.3, keep_alive_timeout=1) as server:
        yield server.port


def exchange(port: int, data: bytes) -> bytes:
    """Send ``data`` and read until the server closes the connection; ``<timeout>`` if it never does."""
    with socket.create_connection(("127.0.0.1", port)) as conn:
        conn.settimeout(WAIT)
        if data:
            conn.sendall(data)
        out = b""
        try:
            while chunk := conn.recv(65536):
                out += chunk
        except TimeoutError:
            return out + b"<timeout>"
        except ConnectionResetError:
            return out + b"<reset>"
        return out


def split(response: bytes) -> tuple[int, dict[str, str], object]:
    head, _, body = response.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.lower().split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), headers, json.loads(body)


def test_headers_over_the_limit_answer_431_json_and_close(port: int) -> None:
    status, headers, body = split(exchange(port, HEALTH + b"X-Big: " + b"a" * MAX_HEAD_BYTES + b"\r\n\r\n"))
    assert (status, headers["content-type"], headers["connection"]) == (431, "application/json", "close")
    assert body == {
        "error": f"Request header fields too large (limit {MAX_HEAD_BYTES} bytes for the request line and headers)"
    }


def test_many_small_headers_count_too(port: int) -> None:
    many = b"".join(b"X-H%d: v\r\n" % i for i in range(5000))
    assert split(exchange(port, HEALTH + many + b"\r\n"))[0] == 431


def test_a_request_line_over_the_limit_answers_414(port: int) -> None:
    status, _, body = split(exchange(port, b"GET /_mock/health?" + b"a=1&" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"))
    assert status == 414 and body == {
        "error": f"Request URI too long (limit {MAX_HEAD_BYTES} bytes for the request line and headers)"
    }


def test_headers_under_the_limit_are_served(port: int) -> None:
    status, _, body = split(exchange(port, HEALTH + b"X-Big: " + b"a" * 30_000 + b"\r\nConnection: close\r\n\r\n"))
    assert status == 200 and body["status"] == "ok"  # type: ignore[index]


def test_a_connection_that_sends_nothing_is_closed(port: int) -> None:
    assert exchange(port, b"") == b""  # closed by the server, silently, long before WAIT


def test_a_trickled_request_head_gets_408_and_is_closed(port: int) -> None:
    status, headers, body = split(exchange(port, HEALTH))  # the head never ends (no blank line)
    assert (status, headers["connection"]) == (408, "close")
    assert body == {"error": "request head not received within 0.3 s"}


def test_an_idle_keep_alive_connection_is_closed_after_its_response(port: int) -> None:
    out = exchange(port, HEALTH + b"\r\n")  # keep-alive: the server closes it after the idle timeout
    assert out.startswith(b"HTTP/1.1 200 OK") and b'{"status":"ok",' in out and out.endswith(b"}")


def test_a_malformed_request_is_answered_in_json(port: int) -> None:
    status, headers, body = split(exchange(port, b"NOT HTTP AT ALL\r\n\r\n"))
    assert (status, headers["content-type"], body) == (
        400,
        "application/json",
        {"error": "Invalid HTTP request received."},
    )
