"""The API pipeline's query parser (``_Query``) against the standard library's (issue 18).

The parser skips ``parse_qsl`` when nothing needs unquoting and keeps each name's last value in a
plain dict (the fast path of every request): whatever the query string, it must read exactly what
``parse_qsl(keep_blank_values=True)`` reads.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from hypothesis import given
from hypothesis import strategies as st

from mock_server.core.app import _Query

PIECES = st.sampled_from(["a", "b", "queueId", "=", "&", "%20", "%", "+", "x", "", "é", "%C3%A9", "&&", "=="])


@given(st.lists(PIECES, max_size=12).map("".join))
def test_the_query_parser_reads_what_parse_qsl_reads(text: str) -> None:
    raw = text.encode("utf-8").decode("latin-1").encode("latin-1")  # what a server hands over: bytes
    pairs = parse_qsl(raw.decode("latin-1"), keep_blank_values=True)
    query = _Query(raw)
    assert dict(query) == dict(pairs)
    for name in {k for k, _ in pairs} | {"absent"}:
        assert query.getlist(name) == [v for k, v in pairs if k == name]
        assert query.get(name) == dict(pairs).get(name)
    assert query.flat() == dict(pairs)
