"""Response bodies: orjson writes what the standard json module wrote before it (core/app.py), byte for byte
but for the exponent of tiny floats (``1e-7``, not ``1e-07``: the same number)."""

from __future__ import annotations

import json

import orjson

from mock_server.core.app import encode_json

STDLIB = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def test_orjson_bytes_are_the_standard_librarys() -> None:
    bodies = [
        {"jobs": [], "total": 0, "facets": {"work_model": [{"key": "remote", "count": 3}]}, "next_cursor": None},
        {"city": "Stühlingen", "emoji": "🚀", "quote": 'say "hi"\n\t', "control": "\x01\x1f", "sep": "\u2028"},
        {"credits": {"balance": 12.5, "spent": 0.001, "granted": 100000}, "flags": [True, False, None]},
        [1, -2, 3.25, 0.1, 123456789012, 1.5e300, "x" * 5000],
    ]
    for body in bodies:
        assert encode_json(body) == STDLIB(body).encode() == orjson.dumps(body)
    # The one difference: a float with a negative exponent (the same number).
    assert (encode_json([1e-07]), STDLIB([1e-07]).encode()) == (b"[1e-7]", b"[1e-07]")


def test_values_orjson_refuses_go_to_the_standard_library() -> None:
    huge = {"n": 2**70, 3: "int key"}
    assert encode_json(huge) == STDLIB(huge).encode() == b'{"n":1180591620717411303424,"3":"int key"}'


def test_fragments_embed_cached_json_verbatim() -> None:
    job = orjson.dumps({"id": "a", "title": "Engineer"})
    assert encode_json({"jobs": [orjson.Fragment(job)] * 2}) == b'{"jobs":[' + job + b"," + job + b"]}"
