"""SARIF 2.1.0, for code scanning.

Each violation is a result located at the model line of its violating step
(the faulting line for runtime errors, the last step's line otherwise), with
the counterexample as a code flow: one thread-flow location per step, so a
code-scanning view walks the interleaving. A violation the scenario expects
(a known bug kept as a regression test) is a ``note``; an unexpected one an
``error``. Scenarios that miss their expectation for another reason (a known
bug no longer found, a race window never reached) are results located at the
scenario file.
"""

from __future__ import annotations

import json

from .. import __version__
from ..result import ScenarioResult, TraceStep
from .plain import step_summary

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
EXPECTATION_RULE = "hugemc/expectation"


def _loc(file: str, line: int, message: str | None = None) -> dict:
    phys = {"artifactLocation": {"uri": file}}
    if line:
        phys["region"] = {"startLine": line}
    d = {"physicalLocation": phys}
    if message:
        d["message"] = {"text": message}
    return d


def _flow_location(s: TraceStep) -> dict:
    return {"location": _loc(s.file, s.line, step_summary(s)),
            "executionOrder": s.index,
            "properties": {"thread": s.thread}}


UNREACHED_RULE = "hugemc/unreached-code"


def sarif_log(results: list[ScenarioResult], coverage: bool = False) -> dict:
    """The SARIF log object for a run (with one warning per unreached model line if ``coverage``)."""
    rules: dict[str, dict] = {}
    out = []
    for r in results:
        if r.verdict == "error":
            rules.setdefault(EXPECTATION_RULE, {"id": EXPECTATION_RULE,
                                                "shortDescription": {"text": "scenario expectation"}})
            out.append({"ruleId": EXPECTATION_RULE, "level": "error",
                        "message": {"text": f"{r.name}: input error: {(r.error or '').splitlines()[0]}"},
                        "locations": [_loc(r.file, 0)]})
            continue
        expected = set(r.expected) if isinstance(r.expected, list) else set()
        descriptions = {p.name: p.description for p in r.properties}
        for v in r.violations:
            rid = f"hugemc/{v.property}"
            rules.setdefault(rid, {"id": rid, "shortDescription": {"text": descriptions.get(v.property) or v.kind}})
            last = v.trace.steps[-1] if v.trace.steps else None
            file, line = (v.file, v.line) if v.file else ((last.file, last.line) if last else (r.file, 0))
            known = v.property in expected
            res = {"ruleId": rid, "level": "note" if known else "error",
                   "message": {"text": f"{r.name}: {v.property} ({v.kind}): {v.message}"
                                       + (" [known bug, expected]" if known else "")},
                   "locations": [_loc(file, line)],
                   "properties": {"scenario": r.name, "scenarioFile": r.file, "expected": known,
                                  "steps": len(v.trace.steps)}}
            if v.trace.steps:
                res["codeFlows"] = [{"threadFlows": [{"locations": [_flow_location(s) for s in v.trace.steps]}]}]
            out.append(res)
        for p in r.problems:
            if p.startswith("unexpected violation"):
                continue  # already a result of its own
            rules.setdefault(EXPECTATION_RULE, {"id": EXPECTATION_RULE,
                                                "shortDescription": {"text": "scenario expectation"}})
            out.append({"ruleId": EXPECTATION_RULE, "level": "warning" if p.startswith("search cut") else "error",
                        "message": {"text": f"{r.name}: {p}"}, "locations": [_loc(r.file, 0)]})
        if coverage:
            for thread, files in ((r.coverage_detail or {}).get("unreached", {})).items():
                rules.setdefault(UNREACHED_RULE, {"id": UNREACHED_RULE, "shortDescription": {
                    "text": "model line never executed by a thread (is the model vacuous?)"}})
                for f, lines in files.items():
                    for ln in lines:
                        out.append({"ruleId": UNREACHED_RULE, "level": "warning",
                                    "message": {"text": f"{r.name}: thread {thread} never executed this line"},
                                    "locations": [_loc(f, ln)]})
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "hugemc", "version": __version__,
                                "informationUri": "https://example.invalid/hugemc",
                                "rules": sorted(rules.values(), key=lambda x: x["id"])}},
            "results": out,
        }],
    }


def sarif_json(results: list[ScenarioResult], coverage: bool = False) -> str:
    """The SARIF log as JSON text."""
    return json.dumps(sarif_log(results, coverage), indent=2) + "\n"
