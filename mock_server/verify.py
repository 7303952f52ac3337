"""`uphunt-mock verify`: the client invariants over the journal of a running mock, for clients in any language.

    uphunt-mock verify --base-url URL [--check NAME]... [--format text|json|junit] [--output FILE]

A Node, Go or shell client runs against ``uphunt-mock serve``; afterwards this reads the mock's
request journal (``GET /_mock/requests``) and applications (``GET /_mock/state``) and runs the same
invariants the Python helpers run (:func:`mock_server.testing.check_client` for UpHunt: no duplicate
applies, Retry-After respected, the polling cadence, retryable failures retried with backoff,
terminal ones not). Exit 0: no violation; 1: violations; 2: the mock cannot be read.

Which invariants a vendor has is its ``Vendor.client_invariants`` (a ``module:function`` path).
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .core.vendor import get_vendor

HELP = "check a client's traffic in a running mock's journal against the documented client invariants"


def configure_parser(p: argparse.ArgumentParser) -> None:
    p.add_argument("--base-url", required=True, help="the running mock, e.g. http://127.0.0.1:8080")
    p.add_argument(
        "--api-key", default=None, help="only this client's requests (default: every request in the journal)"
    )
    p.add_argument("--check", action="append", default=None, metavar="NAME", help="only this invariant (repeatable)")
    p.add_argument("--format", choices=("text", "json", "junit"), default="text", help="report format (default text)")
    p.add_argument("--output", metavar="FILE", default=None, help="write the report to FILE instead of stdout")


def invariants_of(vendor_name: str) -> tuple[Callable[..., list[Any]], Sequence[str]]:
    """The vendor's ``check_client`` function and the names of its checks."""
    vendor = get_vendor(vendor_name)
    path = getattr(vendor, "client_invariants", None)
    if not path:
        raise ValueError(f"the {vendor.title} vendor ({vendor.name!r}) has no client invariants to verify")
    module_name, _, attr = path.partition(":")
    module = importlib.import_module(module_name)
    return getattr(module, attr), list(getattr(module, "CHECKS", {}))


def main(args: argparse.Namespace) -> int:
    import httpx

    from .testing.journal import Request, RequestLog

    base = args.base_url.rstrip("/")
    try:
        with httpx.Client(base_url=base, timeout=30) as http:
            health = http.get("/_mock/health").json()
            journal = http.get("/_mock/requests").json()
            state = http.get("/_mock/state").json()
    except (httpx.HTTPError, ValueError) as exc:
        print(f"uphunt-mock verify: cannot read the mock at {base}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    check_client, names = invariants_of(health.get("vendor", "uphunt"))
    log = RequestLog(Request.from_dict(e) for e in journal["requests"])
    violations = check_client(log, state["applications"], None, args.check)
    report = {
        "target": base,
        "vendor": health.get("vendor"),
        "requests": len(log),
        "applications": len(state["applications"]),
        "droppedFromJournal": journal.get("dropped", 0),
        "checks": list(args.check or names),
        "violations": [
            {"check": v.check, "message": v.message, "requests": [str(r) for r in v.requests]} for v in violations
        ],
    }
    text = _render(report, args.format)
    if args.output:
        Path(args.output).write_text(text + "\n", encoding="utf-8")
        print(_headline(report) + f"; report: {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text + "\n")
    return 1 if violations else 0


def _headline(report: dict[str, Any]) -> str:
    return (
        f"uphunt-mock verify: {report['target']}: {report['requests']} requests, {report['applications']} applications: "
        f"{len(report['violations'])} violation(s)"
    )


def _render(report: dict[str, Any], fmt: str) -> str:
    if fmt == "json":
        return json.dumps(report, indent=2)
    if fmt == "junit":
        return _junit(report)
    lines = [_headline(report)]
    if report["droppedFromJournal"]:
        lines.append(
            f"  warning: the journal dropped its {report['droppedFromJournal']} oldest entries "
            "(raise settings.journal.capacity in the world file): early requests were not checked"
        )
    for v in report["violations"]:
        lines.append(f"  [{v['check']}] {v['message']}")
        lines += [f"      {r}" for r in v["requests"]]
    return "\n".join(lines)


def _junit(report: dict[str, Any]) -> str:
    """One test case per invariant; a broken invariant is a failure listing its violations."""
    by_check: dict[str, list[dict[str, Any]]] = {}
    for v in report["violations"]:
        by_check.setdefault(v["check"], []).append(v)
    suite = ET.Element(
        "testsuite",
        name=f"uphunt-mock verify {report['target']}",
        tests=str(len(report["checks"])),
        failures=str(len(by_check)),
        errors="0",
    )
    for name in report["checks"]:
        case = ET.SubElement(suite, "testcase", classname=f"uphunt_mock.verify.{report['vendor']}", name=name)
        found = by_check.get(name)
        if found:
            failure = ET.SubElement(case, "failure", message=found[0]["message"][:500], type=name)
            failure.text = "\n".join(f"{v['message']}\n  " + "\n  ".join(v["requests"]) for v in found)
    ET.indent(suite)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(suite, encoding="unicode")
