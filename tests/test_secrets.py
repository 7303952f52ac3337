"""Secrets: masking that never shows more than a third of a key, wherever a key can appear (issue 13, item 8).

``mask_secret`` used to show 6 + 4 characters, so a 9- or 10-character key was shown whole
(``k23456789`` -> ``k23456****6789``), and keys sent in the query, a JSON body, a Cookie or
Proxy-Authorization were journaled verbatim.
"""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from mock_server.core.journal import mask_secret

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
            "nested": [{"token": SHORT_KEY}],
        },
    )
    listing = client.get("/_mock/requests").text
    assert SHORT_KEY not in listing and "abcdefghijkl" not in listing
    read, applied = client.get("/_mock/requests").json()["requests"]
    assert read["query"] == {"x-api-key": "k2******9", "apiKey": "k2******9", "page": "2"}
    assert read["headers"]["cookie"] == "x-api-key=k2******9; session=ab********kl"
    assert read["headers"]["proxy-authorization"] == "Basic k2******9"
    assert read["headers"]["authorization"] == "Bearer k2******9"
    assert applied["body"]["apiKey"] == "k2******9" and applied["body"]["nested"] == [{"token": "k2******9"}]
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
