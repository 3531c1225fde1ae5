"""JUnit XML: a test case per scenario and per property.

For every scenario, a test case ``<scenario>``, and a test case
``<scenario>.<property>`` for every property (and every runtime error
found), which fails when that property's outcome contradicts the
expectation, its failure text carrying the counterexample. The scenario's
own case fails for the problems no property case carries (a search cut
short, unreached code), so that each problem is counted once. Input errors
are ``<error>``s.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from ..result import ScenarioResult
from .coverage import coverage_summary
from .plain import trace_text
from .visible import visible_results


def _unreached_text(r: ScenarioResult) -> str:
    return "warning: " + coverage_summary(r, None) if (r.coverage_detail or {}).get("unreached") else ""


def junit_xml(results: list[ScenarioResult], coverage: bool = False) -> str:
    """The JUnit XML document for a run (with the coverage summary if ``coverage``).

    Each problem fails exactly one test case: a problem about one property
    (an unexpected violation, a known bug no longer found, a race window never
    reached) fails ``<scenario>.<property>``; any other (a search cut short,
    unreached code under ``--coverage-fatal``, an expected kind such as
    ``assertion`` no longer found) fails ``<scenario>``. The suite's
    ``tests``, ``failures`` and ``errors`` count test cases.
    """
    suite = ET.Element("testsuite", name="hugemc")
    cases: list[ET.Element] = []
    total = 0.0
    for r in visible_results(results):  # XML 1.0 characters only, no terminal escape
        total += r.stats.seconds
        case = ET.SubElement(suite, "testcase", classname=r.name, name=r.name, file=r.file,
                             time=f"{r.stats.seconds:.3f}")
        cases.append(case)
        if r.verdict == "error":
            e = ET.SubElement(case, "error", message="input error")
            e.text = r.error or ""
            continue
        by_name = {v.property: v for v in r.violations}
        names = [p.name for p in r.properties] + [n for n in by_name if n not in {p.name for p in r.properties}]
        status = {p.name: p.status for p in r.properties}
        listed = set(r.expected) if isinstance(r.expected, list) else set()
        covered: set[str] = set()  # problems a property's test case reports
        for name in names:
            pc = ET.SubElement(suite, "testcase", classname=r.name, name=f"{r.name}.{name}",
                               file=r.file, time="0")
            cases.append(pc)
            v = by_name.get(name)
            msg = None
            if v is not None and not r.expects(v):
                msg = f"unexpected violation of {name}: {v.message}"
            elif v is None and name in listed and r.stats.complete:
                msg = f"known bug no longer found: {name} was expected to be violated"
            elif status.get(name) == "unreached":
                msg = f"reachable property {name} was never reached: the model may be vacuous"
            if msg:
                covered.add(msg)
                f = ET.SubElement(pc, "failure", message=msg)
                f.text = (f"{v.kind}: {v.message}\ncounterexample, {len(v.trace.steps)} step(s):\n"
                          + trace_text(v.trace)) if v is not None else msg
            elif v is not None:
                out = ET.SubElement(pc, "system-out")
                out.text = f"expected violation found ({v.kind}: {v.message}), {len(v.trace.steps)} step(s):\n" \
                    + trace_text(v.trace)
        rest = [p for p in r.problems if p not in covered]
        if rest:
            f = ET.Element("failure", message="; ".join(rest))
            f.text = "\n".join(rest)
            case.insert(0, f)
        elif not r.ok:
            ET.SubElement(case, "system-out").text = "failed in its property test case(s): " + "; ".join(r.problems)
        if coverage and _unreached_text(r):
            ET.SubElement(case, "system-err").text = _unreached_text(r)
    suite.set("tests", str(len(cases)))
    suite.set("failures", str(sum(c.find("failure") is not None for c in cases)))
    suite.set("errors", str(sum(c.find("error") is not None for c in cases)))
    suite.set("time", f"{total:.3f}")
    root = ET.Element("testsuites")
    root.append(suite)
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
