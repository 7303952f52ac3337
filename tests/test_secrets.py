"""Secrets: masking that never shows more than a third of a key, wherever a key can appear (issue 13, item 8).

``mask_secret`` used to show 6 + 4 characters, so a 9- or 10-character key was shown whole
(``k23456789`` -> ``k23456****6789``), and keys sent in the query, a JSON body, a Cookie or
Proxy-Authorization were journaled verbatim.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from mock_server.core.journal import mask_secret

pytest_plugins = ["pytester"]

SHORT_KEY = "k23456789"


@pytest.mark.parametrize(
    "secret", ["k23456789", "k234567890", "sk_live_abcd", "sk_uphunt_demo_key", "x" * 64, "abcdef", "a" * 200]
)
def test_a_mask_never_shows_more_than_a_third_of_the_secret(secret: str) -> None:
    masked = mask_secret(secret)
    shown = len(masked.replace("*", ""))
    assert shown <= len(secret) // 3 and shown <= 10
    assert secret not in masked and "****" in masked


def test_short_secrets_show_nothing_and_bearer_keeps_its_scheme() -> None:
    assert [mask_secret(s) for s in ("", "a", "abcde")] == ["****"] * 3
    assert mask_secret("k23456789") == "k2******9"
    assert mask_secret("Bearer up_demo_legacy_key") == "Bearer up_************key"
    assert mask_secret("Basic dXNlcjpwYXNzd29yZA==") == "Basic dXN**************A=="


def test_keys_are_masked_in_the_query_body_cookie_and_proxy_authorization(client: TestClient) -> None:
    assert client.put(f"/_mock/accounts/{SHORT_KEY}", json={"credits": 1}).status_code == 201
    client.get(
        "/api/auto-apply-v2/freelancers",
        params={"x-api-key": SHORT_KEY, "apiKey": SHORT_KEY, "page": "2"},
        headers={
            "x-api-key": SHORT_KEY,
            "cookie": f"x-api-key={SHORT_KEY}; session=abcdefghijkl",
            "proxy-authorization": f"Basic {SHORT_KEY}",
            "authorization": f"Bearer {SHORT_KEY}",
        },
    )
    client.post(
        "/api/auto-apply-v2/apply",
        headers={"x-api-key": SHORT_KEY},
        json={
            "jobId": "~022053140178050136031",
            "coverLetter": "x",
            "apiKey": SHORT_KEY,
            "nested": [{"accessToken": SHORT_KEY}],
        },
    )
    listing = client.get("/_mock/requests").text
    assert SHORT_KEY not in listing and "abcdefghijkl" not in listing
    read, applied = client.get("/_mock/requests").json()["requests"]
    assert read["query"] == {"x-api-key": "k2******9", "apiKey": "k2******9", "page": "2"}
    assert read["headers"]["cookie"] == "x-api-key=k2******9; session=ab********kl"
    assert read["headers"]["proxy-authorization"] == "Basic k2******9"
    assert read["headers"]["authorization"] == "Bearer k2******9"
    assert applied["body"]["apiKey"] == "k2******9" and applied["body"]["nested"] == [{"accessToken": "k2******9"}]
    assert applied["body"]["jobId"] == "~022053140178050136031"


def test_state_shows_no_key_whole(client: TestClient) -> None:
    assert client.put(f"/_mock/accounts/{SHORT_KEY}", json={"credits": 1}).status_code == 201
    client.post(
        "/api/auto-apply-v2/apply",
        headers={"x-api-key": SHORT_KEY},
        json={"jobId": "~022053140178050136031", "coverLetter": "x"},
    )
    state = client.get("/_mock/state").text
    assert SHORT_KEY not in state and "sk_uphunt_demo_key" not in state and "k2******9" in state


# ── the control token and the exposed-host warning ──────────────────────

TOKEN = "ctl_0123456789abcdef"


def test_a_control_token_guards_every_control_route_but_health(runtime: Any, client: TestClient) -> None:
    runtime.control_token = TOKEN
    refused = client.get("/_mock/state")
    assert refused.status_code == 401
    assert refused.json() == {
        "error": "this mock's control API needs the header X-Mock-Control-Token (it was started with --control-token)"
    }
    assert client.get("/_mock/state", headers={"X-Mock-Control-Token": "wrong"}).status_code == 401
    assert client.post("/_mock/reset").status_code == 401
    assert client.post("/_mock/scenarios", content=b"rules: [{respond: {status: 500}}]").status_code == 401
    assert client.get("/_mock/nope").status_code == 401  # unknown control paths reveal nothing either
    assert client.get("/_mock/state", headers={"X-Mock-Control-Token": TOKEN}).status_code == 200
    assert client.get("/_mock/health").json()["status"] == "ok"  # liveness probes need no secret
    assert client.get("/_mock/openapi.json").status_code == 200  # nor does the public contract
    api = client.get("/api/auto-apply-v2/freelancers", headers={"x-api-key": "sk_uphunt_demo_key"})
    assert api.status_code == 200  # the simulated API is untouched


def test_the_test_server_and_its_handle_carry_the_token() -> None:
    from mock_server.testing import serve

    with serve(control_token=TOKEN) as mock:
        assert mock.state()["clock"]["mode"] == "manual"
        mock.advance(1)
        assert httpx.get(f"{mock.base_url}/_mock/state").status_code == 401


def test_the_pytest_plugin_option_starts_mocks_with_the_token(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import httpx

        def test_token(uphunt_mock):
            assert uphunt_mock.state()["nextCursor"] is None
            assert httpx.get(uphunt_mock.base_url + "/_mock/state").status_code == 401
        """
    )
    result = pytester.runpytest_inprocess(
        "-p", "no:cacheprovider", "-p", "no:schemathesis", "--uphunt-mock-control-token", TOKEN
    )
    result.assert_outcomes(passed=1)


class Listening(Exception):
    """Raised instead of binding: the tests never listen on a non-loopback address."""


def test_serve_on_a_non_loopback_host_warns_loudly(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from mock_server import cli
    from mock_server.core import serving

    def no_bind(host: str, port: int) -> None:
        raise OSError(99, "not in tests")

    monkeypatch.setattr(serving, "bind_socket", no_bind)
    monkeypatch.delenv(cli.CONTROL_TOKEN_ENV, raising=False)
    assert cli.main(["serve", "--host", "0.0.0.0", "--port", "0"]) == 2
    err = capsys.readouterr().err
    assert "WARNING: uphunt-mock is listening on 0.0.0.0, not only on this machine's loopback." in err
    assert "The control API (/_mock/*) has NO authentication" in err and "--control-token" in err
    monkeypatch.setenv(cli.CONTROL_TOKEN_ENV, TOKEN)
    assert cli.main(["serve", "--host", "0.0.0.0", "--port", "0"]) == 2
    assert "needs the X-Mock-Control-Token you set" in capsys.readouterr().err
    for loopback in ("127.0.0.1", "::1", "localhost"):
        assert cli.main(["serve", "--host", loopback, "--port", "0"]) == 2
        assert "WARNING" not in capsys.readouterr().err
