"""JUnit XML: a test case per scenario and per property.

For every scenario, a test case ``<scenario>`` fails when the scenario did
not meet its expectation (the problems, in words); a test case
``<scenario>.<property>`` exists for every property (and every runtime error
found) and fails when that property's outcome contradicts the expectation,
its failure text carrying the counterexample. Input errors are ``<error>``s.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from ..result import ScenarioResult
from .plain import trace_text


def _expected_violated(r: ScenarioResult) -> set[str]:
    return set(r.expected) if isinstance(r.expected, list) else set()


def _unreached_text(r: ScenarioResult) -> str:
    unreached = (r.coverage_detail or {}).get("unreached", {})
    return "\n".join(f"warning: unreached code in thread {t}: " +
                     "; ".join(f"{f}:{','.join(map(str, ls))}" for f, ls in files.items())
                     for t, files in unreached.items())


def junit_xml(results: list[ScenarioResult], coverage: bool = False) -> str:
    """The JUnit XML document for a run (with unreached-code warnings if ``coverage``)."""
    suite = ET.Element("testsuite", name="hugemc")
    tests = failures = errors = 0
    total = 0.0
    for r in results:
        total += r.stats.seconds
        tests += 1
        case = ET.SubElement(suite, "testcase", classname=r.name, name=r.name, file=r.file,
                             time=f"{r.stats.seconds:.3f}")
        if r.verdict == "error":
            errors += 1
            e = ET.SubElement(case, "error", message="input error")
            e.text = r.error or ""
            continue
        if not r.ok:
            failures += 1
            f = ET.SubElement(case, "failure", message="; ".join(r.problems) or "expectation not met")
            f.text = "\n".join(r.problems)
        if coverage and _unreached_text(r):
            ET.SubElement(case, "system-err").text = _unreached_text(r)
        expected = _expected_violated(r)
        by_name = {v.property: v for v in r.violations}
        names = [p.name for p in r.properties] + [n for n in by_name if n not in {p.name for p in r.properties}]
        status = {p.name: p.status for p in r.properties}
        for name in names:
            tests += 1
            pc = ET.SubElement(suite, "testcase", classname=r.name, name=f"{r.name}.{name}",
                               file=r.file, time="0")
            v = by_name.get(name)
            msg = None
            if v is not None and name not in expected:
                msg = f"unexpected violation of {name}: {v.message}"
            elif v is None and name in expected and r.stats.complete:
                msg = f"known bug no longer found: {name} was expected to be violated"
            elif status.get(name) == "unreached":
                msg = f"reachable property {name} was never reached: the model may be vacuous"
            if msg:
                failures += 1
                f = ET.SubElement(pc, "failure", message=msg)
                f.text = (f"{v.kind}: {v.message}\ncounterexample, {len(v.trace.steps)} step(s):\n"
                          + trace_text(v.trace)) if v is not None else msg
            elif v is not None:
                out = ET.SubElement(pc, "system-out")
                out.text = f"expected violation found ({v.kind}: {v.message}), {len(v.trace.steps)} step(s):\n" \
                    + trace_text(v.trace)
    suite.set("tests", str(tests))
    suite.set("failures", str(failures))
    suite.set("errors", str(errors))
    suite.set("time", f"{total:.3f}")
    root = ET.Element("testsuites")
    root.append(suite)
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
