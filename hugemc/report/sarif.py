"""SARIF 2.1.0, for code scanning.

Each violation is a result located at the model line of its violating step
(the faulting line for runtime errors, the last step's line otherwise), with
the counterexample as a code flow: one thread-flow location per step, so a
code-scanning view walks the interleaving; the scenario file is a related
location.

Locations never carry an absolute path. A file of the project is relative
to the project root, ``uriBaseId`` ``%SRCROOT%`` (the nearest folder, from
the working directory up, holding ``hugemc.toml``, ``pyproject.toml`` or
``.git``; else the working directory). A file of hugemc's own library is
relative to the library, ``uriBaseId`` ``HUGEMC_LIBRARY``
(``models/mm/buddy.c``, ``properties/hugetlb.c``, ``include/hugemc.h``).
Both are described in the run's ``originalUriBaseIds``.

A violation the scenario expects (a known bug kept as a regression test) is
not an alert: it is a ``note`` with a ``suppressions`` entry (kind
``external``, the justification naming the scenario), so code scanning
files it as suppressed while the log still carries its counterexample. An
unexpected one is an ``error``. Scenarios that miss their expectation for
another reason (a known bug no longer found, a race window never reached)
are results located at the scenario file; an input error is located at the
diagnostic's ``file:line:col``. With ``--coverage``, a scenario that left
model lines unexecuted gets one ``warning`` with the coverage summary.

Every result has a ``partialFingerprints`` entry ``hugemc/v1``: a hash of
the scenario, the rule and the location (the property's, for violations),
stable from run to run, so code scanning tracks an alert across commits.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path
from urllib.parse import quote

from .. import __version__
from ..diagnostics import library_location, resolve_display_path
from ..result import ScenarioResult, TraceStep, Violation
from .coverage import coverage_summary
from .github import error_location
from .plain import step_summary

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
EXPECTATION_RULE = "hugemc/expectation"
INPUT_RULE = "hugemc/input-error"
UNREACHED_RULE = "hugemc/unreached-code"
SRCROOT = "%SRCROOT%"
LIBRARY = "HUGEMC_LIBRARY"
FINGERPRINT = "hugemc/v1"

RUNTIME_DESCRIPTIONS = {
    "null_deref": "A thread dereferences a NULL pointer.",
    "out_of_bounds": "An array index leaves the bounds of its array.",
    "domain_overflow": "A value leaves the range declared for its variable (its __range domain).",
    "div_by_zero": "A thread divides by zero.",
    "uninit_read": "A thread reads a variable before anything was written to it.",
    "unlock_unheld": "A thread unlocks a lock it does not hold.",
    "assertion": "An assertion of the model (assert, BUG_ON, VM_BUG_ON*) fails.",
    "warning": "A WARN_ON* the scenario makes fatal fires.",
    "deadlock": "A deadlock: no thread can move, and not every thread has returned.",
}
FIXED_RULES = {
    EXPECTATION_RULE: "The scenario did not meet its expectation (a known bug no longer found, a race window "
                      "never reached, a search cut short).",
    INPUT_RULE: "The scenario's input is wrong: a compile error in a model, bad TOML, an unknown property.",
    UNREACHED_RULE: "Model lines a thread never executed (is the model vacuous?).",
}


def project_root(cwd: Path | None = None) -> Path:
    """The folder ``%SRCROOT%`` stands for: the nearest, from ``cwd`` up, with a suite file
    (``hugemc.toml``, ``pyproject.toml``) or a ``.git``; else ``cwd``."""
    here = (cwd or Path.cwd()).resolve()
    for d in (here, *here.parents):
        if any((d / n).exists() for n in ("hugemc.toml", "pyproject.toml", ".git")):
            return d
    return here


def artifact(file: str, root: Path) -> dict:
    """The ``artifactLocation`` of a file named as the results name it (a display path)."""
    real = resolve_display_path(file)
    lib = library_location(real)
    if lib is not None:
        return {"uri": quote(f"{lib[0]}/{lib[1]}"), "uriBaseId": LIBRARY}
    try:
        rel = real.resolve().relative_to(root).as_posix()
    except (ValueError, OSError):
        # outside the project: relative to it all the same, never the machine's absolute path
        rel = Path(os.path.relpath(real.resolve(), root)).as_posix()
    return {"uri": quote(rel), "uriBaseId": SRCROOT}


def _loc(file: str, line: int, root: Path, message: str | None = None, col: int = 0) -> dict:
    phys: dict = {"artifactLocation": artifact(file, root)}
    if line:
        phys["region"] = {"startLine": line, **({"startColumn": col} if col else {})}
    d: dict = {"physicalLocation": phys}
    if message:
        d["message"] = {"text": message}
    return d


def _flow_location(s: TraceStep, root: Path) -> dict:
    return {"location": _loc(s.file, s.line, root, step_summary(s)),
            "executionOrder": s.index,
            "properties": {"thread": s.thread}}


def _fingerprint(*parts: object) -> dict:
    return {FINGERPRINT: hashlib.sha256("\x1f".join(map(str, parts)).encode()).hexdigest()[:32]}


def rule_description(r: ScenarioResult, v: Violation) -> str:
    """What a violated rule means: the property's description, else a sentence for the runtime error,
    the assertion site or the property kind."""
    for p in r.properties:
        if p.name == v.property and p.description:
            return p.description
    if v.property in RUNTIME_DESCRIPTIONS:
        return RUNTIME_DESCRIPTIONS[v.property]
    if "@" in v.property:
        macro, _, where = v.property.partition("@")
        fn = where.split("#")[0]
        what = "warning" if v.kind == "warning" else "assertion"
        return f"The {what} {macro} in {fn}() fails (one {what} site of the model)."
    return {"invariant": f"The invariant {v.property} holds in every reachable state.",
            "final": f"{v.property} holds in every state where all threads have returned.",
            "reachable": f"{v.property}: some reachable state reaches the race window."}.get(
                v.kind, RUNTIME_DESCRIPTIONS.get(v.kind, f"{v.kind} {v.property}"))


def _rule(rid: str, text: str, kind: str | None = None) -> dict:
    d = {"id": rid, "shortDescription": {"text": text}, "fullDescription": {"text": text}}
    if kind:
        d["properties"] = {"kind": kind}
    return d


def sarif_log(results: list[ScenarioResult], coverage: bool = False, cwd: Path | None = None) -> dict:
    """The SARIF log object for a run (with one coverage warning per scenario if ``coverage``)."""
    root = project_root(cwd)
    rules: dict[str, dict] = {}
    out = []

    def fixed(rid: str) -> str:
        rules.setdefault(rid, _rule(rid, FIXED_RULES[rid]))
        return rid

    for r in results:
        scenario_loc = dict(_loc(r.file, 0, root, f"scenario {r.name}"), id=1)
        if r.verdict == "error":
            file, line, col = error_location(r)
            first = (r.error or "input error").splitlines()[0]
            out.append({"ruleId": fixed(INPUT_RULE), "level": "error",
                        "message": {"text": f"{r.name}: {first}"},
                        "locations": [_loc(file, line, root, col=col)],
                        "partialFingerprints": _fingerprint(r.name, INPUT_RULE, file, line),
                        "properties": {"scenario": r.name, "diagnostic": r.error or ""}})
            continue
        for v in r.violations:
            rid = f"hugemc/{v.property}"
            rules.setdefault(rid, _rule(rid, rule_description(r, v), v.kind))
            last = v.trace.steps[-1] if v.trace.steps else None
            file, line = (v.file, v.line) if v.file else ((last.file, last.line) if last else (r.file, 0))
            known = r.expects(v)
            res = {"ruleId": rid, "level": "note" if known else "error",
                   "message": {"text": f"{r.name}: {v.property} ({v.kind}): {v.message}"
                                       + (" [known bug, expected]" if known else "")},
                   "locations": [_loc(file, line, root)],
                   "relatedLocations": [scenario_loc],
                   "partialFingerprints": _fingerprint(r.name, v.property, file, line),
                   "properties": {"scenario": r.name, "scenarioFile": r.file, "expected": known,
                                  "steps": len(v.trace.steps)}}
            if known:
                res["suppressions"] = [{"kind": "external", "justification":
                                        f"expected by scenario {r.name}: a known bug kept as a regression test"}]
            if v.trace.steps:
                res["codeFlows"] = [{"threadFlows": [{"locations": [_flow_location(s, root) for s in v.trace.steps]}]}]
            out.append(res)
        for p in r.problems:
            if p.startswith("unexpected violation"):
                continue  # already a result of its own
            out.append({"ruleId": fixed(EXPECTATION_RULE),
                        "level": "warning" if p.startswith(("search cut", "hash compaction")) else "error",
                        "message": {"text": f"{r.name}: {p}"}, "locations": [_loc(r.file, 0, root)],
                        "partialFingerprints": _fingerprint(r.name, EXPECTATION_RULE, re.sub(r"\d[\d,.]*", "N", p)),
                        "properties": {"scenario": r.name}})
        if coverage and (r.coverage_detail or {}).get("unreached"):
            out.append({"ruleId": fixed(UNREACHED_RULE), "level": "warning",
                        "message": {"text": f"{r.name}: {coverage_summary(r, None)}"},
                        "locations": [_loc(r.file, 0, root)],
                        "partialFingerprints": _fingerprint(r.name, UNREACHED_RULE),
                        "properties": {"scenario": r.name}})
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "hugemc", "version": __version__,
                                "informationUri": "https://example.invalid/hugemc",
                                "rules": sorted(rules.values(), key=lambda x: x["id"])}},
            "originalUriBaseIds": {
                SRCROOT: {"description": {"text": "The project root: the folder holding hugemc.toml, "
                                                  "pyproject.toml or .git (the repository)."}},
                LIBRARY: {"description": {"text": f"hugemc {__version__}'s own library (models/, properties/, "
                                                  "include/): files of the installed tool, not of the project."}},
            },
            "results": out,
        }],
    }


def sarif_json(results: list[ScenarioResult], coverage: bool = False) -> str:
    """The SARIF log as JSON text."""
    return json.dumps(sarif_log(results, coverage), indent=2) + "\n"
