"""The ``uphunt-mock check`` report in its formats: text for people, JSON and JUnit XML for CI.

Text caps long values (a line never runs past :data:`~.check.MAX_LINE` characters) and prints a
reproduce command only when it fits whole; JSON keeps every command whole; JUnit has one test
case per operation, failed with the operation's root causes, so a CI server lists each drifting
operation as a failed test.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .check import Report

MAX_LINE = 240  # a line of the text report (a generated 404 message once made one 2,154 characters long)
MAX_DETAIL = 4000  # the detail in the JSON and JUnit reports
MAX_REPRODUCE = 2000  # longer reproduce commands are only in the JSON report (never cut: they must paste and run)


def cap(text: str, limit: int = MAX_LINE) -> str:
    """``text`` cut to ``limit`` characters, saying how long it was."""
    if len(text) <= limit:
        return text
    return f"{text[: limit - 24]}… ({len(text)} characters)"


def render(report: Report, fmt: str = "text") -> str:
    if fmt == "text":
        return text(report)
    if fmt == "json":
        return json.dumps(as_dict(report), indent=2, ensure_ascii=False)
    if fmt == "junit":
        return junit(report)
    if fmt == "summary":
        return summary(report)
    raise ValueError(f"unknown report format {fmt!r}: use text, json or junit")


def summary(report: Report) -> str:
    verdict = "no drift" if report.ok else f"{len(report.drifts)} drift(s), {len(report.errors)} error(s)"
    return f"{len(report.operations)} operations, {report.requests} requests, {report.seconds:.1f} s: {verdict}"


def text(report: Report) -> str:
    lines = [
        "",
        f"uphunt-mock check: {report.target} against {report.spec}",
        f"mode: {report.mode()}",
        "",
    ]
    width = max((len(k) for k in report.operations), default=10)
    for label, res in report.operations.items():
        mark = {"ok": "ok", "drift": "DRIFT", "error": "ERROR", "skipped": "skipped"}[res.status]
        lines.append(f"  {label:<{width}}  {res.requests:>4} requests  {mark}")
    if report.drifts:
        lines += ["", f"{len(report.drifts)} drift(s) between the spec and the server (one per root cause):", ""]
        for i, d in enumerate(report.drifts, 1):
            lines.append(f"{i}. " + d.describe().replace("\n", "\n   "))
    if report.errors:
        shown = report.errors[:10]
        lines += ["", "errors:"] + [f"  - {cap(e)}" for e in shown]
        if len(report.errors) > len(shown):
            lines.append(f"  ... and {len(report.errors) - len(shown)} more (--format json lists them all)")
    lines += ["", summary(report)]
    return "\n".join(lines)


def as_dict(report: Report) -> dict[str, Any]:
    return {
        "target": report.target,
        "spec": report.spec,
        "vendor": report.vendor,
        "allowApply": report.allow_apply,
        "ok": report.ok,
        "requests": report.requests,
        "seconds": round(report.seconds, 3),
        "operations": [
            {"operation": label, "requests": res.requests, "status": res.status}
            for label, res in report.operations.items()
        ],
        "drifts": [d.as_dict() for d in report.drifts],
        "errors": list(report.errors),
    }


def junit(report: Report) -> str:
    """JUnit XML: a ``testsuite`` named after the target, a ``testcase`` per operation."""
    suite = ET.Element(
        "testsuite",
        name=f"uphunt-mock check {report.target}",
        tests=str(len(report.operations)),
        failures=str(sum(1 for r in report.operations.values() if r.status == "drift")),
        errors=str(sum(1 for r in report.operations.values() if r.status == "error")),
        time=f"{report.seconds:.3f}",
    )
    by_operation: dict[str, list[Any]] = {}
    for drift in report.drifts:
        by_operation.setdefault(drift.operation, []).append(drift)
    for label, res in report.operations.items():
        case = ET.SubElement(suite, "testcase", classname=f"uphunt_mock.check.{report.vendor}", name=label)
        ET.SubElement(case, "system-out").text = f"{res.requests} requests"
        drifts = by_operation.get(label, [])
        if drifts:
            failure = ET.SubElement(
                case,
                "failure",
                message=cap(f"{len(drifts)} drift(s): {drifts[0].headline()}", 500),
                type=drifts[0].check,
            )
            failure.text = "\n\n".join(
                cap(
                    d.describe() if len(d.reproduce) <= 2000 else d.describe() + f"\n  reproduce: {d.reproduce}",
                    MAX_DETAIL,
                )
                for d in drifts
            )
        elif res.status == "error":
            errors = [e for e in report.errors if e.startswith(label)]
            ET.SubElement(case, "error", message=cap(errors[0] if errors else "error", 500)).text = "\n".join(errors)
    if report.errors and not any(r.status == "error" for r in report.operations.values()):
        case = ET.SubElement(suite, "testcase", classname=f"uphunt_mock.check.{report.vendor}", name="run")
        ET.SubElement(case, "error", message=cap(report.errors[0], 500)).text = "\n".join(report.errors)
    ET.indent(suite)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(suite, encoding="unicode")
